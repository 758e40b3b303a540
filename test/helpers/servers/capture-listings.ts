/**
 * Captures raw LIST / MLSD bytes from the three real servers into test/fixtures/listings/real/,
 * plus each server's greeting and FEAT reply (*-feat.txt), for the listing parser tests.
 * Re-run as root with: npx tsx test/helpers/servers/capture-listings.ts
 */
import { chown, lchown, mkdir, symlink, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type FtpServerHandle, repoDir } from './common.js'
import { ftpServers } from './index.js'
import { rawLogin } from './raw-client.js'

const outDir = path.join(repoDir, 'test/fixtures/listings/real')
const fileStem: Record<FtpServerHandle['name'], string> = {
  vsftpd: 'vsftpd',
  'pure-ftpd': 'pureftpd',
  proftpd: 'proftpd',
}

/** hello.txt gets a fixed old date (LIST shows the year); the rest keep "now" (LIST shows HH:MM). */
const OLD_DATE = new Date('2023-05-06T07:08:09Z')

async function populate(h: FtpServerHandle): Promise<void> {
  const own = (p: string) => chown(p, h.uid, h.gid)
  const hello = path.join(h.root, 'hello.txt')
  await writeFile(hello, 'hello')
  await own(hello)
  await utimes(hello, OLD_DATE, OLD_DATE)
  const spaces = path.join(h.root, 'name with spaces.txt')
  await writeFile(spaces, 'eleven byte')
  await own(spaces)
  const uni = path.join(h.root, 'ünïcödé.bin')
  await writeFile(uni, Buffer.from([0, 1, 2]))
  await own(uni)
  const dir = path.join(h.root, 'sub dir')
  await mkdir(dir)
  await own(dir)
  const link = path.join(h.root, 'link-to-hello')
  await symlink('hello.txt', link)
  await lchown(link, h.uid, h.gid)
}

async function capture(kind: (typeof ftpServers)[number]): Promise<string[]> {
  const h = await kind.start()
  const written: string[] = []
  try {
    await populate(h)
    const c = await rawLogin(h)
    try {
      const feat = await c.send('FEAT')
      const syst = await c.send('SYST')
      const featFile = path.join(outDir, `${fileStem[h.name]}-feat.txt`)
      await writeFile(featFile, `${c.greeting.text}\r\n${feat.text}\r\n${syst.text}\r\n`)
      written.push(featFile)
      await c.send('TYPE A')
      const list = await c.data('LIST')
      if (list.reply.code !== 226) throw new Error(`${h.name} LIST failed: ${list.reply.text}`)
      const listFile = path.join(outDir, `${fileStem[h.name]}-list.txt`)
      await writeFile(listFile, list.bytes)
      written.push(listFile)
      if (kind.supports.mlsd) {
        const mlsd = await c.data('MLSD')
        if (mlsd.reply.code !== 226) throw new Error(`${h.name} MLSD failed: ${mlsd.reply.text}`)
        const mlsdFile = path.join(outDir, `${fileStem[h.name]}-mlsd.txt`)
        await writeFile(mlsdFile, mlsd.bytes)
        written.push(mlsdFile)
      }
    } finally {
      await c.close()
    }
  } finally {
    await h.stop()
  }
  return written
}

await mkdir(outDir, { recursive: true })
for (const kind of ftpServers) {
  for (const f of await capture(kind)) console.log(`wrote ${path.relative(repoDir, f)}`)
}
