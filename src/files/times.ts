/** The file service's modification times. */
import { normalizeRelPath } from './paths.js'
import type { ServiceCore } from './service-core.js'
import type { Identity, RelPath } from './types.js'

/** FileService.setModified. */
export async function setModified(core: ServiceCore, who: Identity, raw: RelPath, time: Date): Promise<void> {
  const rel = normalizeRelPath(raw)
  await core.with(who, async (s) => {
    await s.setModified(core.serverPath(s, rel), time)
    await core.cache.invalidate([rel])
  })
}
