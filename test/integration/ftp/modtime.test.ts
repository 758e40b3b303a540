/**
 * Setting modification times on the real servers, each in its own way (ftp/modtime.ts): MFMT on
 * Pure-FTPd and ProFTPD, both SITE UTIME forms on ProFTPD with mod_site_misc, vsftpd's MDTM write
 * form. Checked on the disk and with a raw MDTM from another client; forms a server refuses are
 * sent once per upstream (ModtimeMemory), counted through the engine's command events.
 */
import { chownSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { FtpSession, ModtimeMemory, onFtpCommand } from '../../../src/ftp/index.js'
import { unpackedRoot } from '../../helpers/servers/common.js'
import {
  type FtpServerHandle,
  startProftpd,
  startPureFtpd,
  startVsftpd,
} from '../../helpers/servers/index.js'
import { rawLogin } from '../../helpers/servers/raw-client.js'

const when = new Date('2021-03-04T05:06:07Z')
const servers: FtpServerHandle[] = []
const sessions: FtpSession[] = []

async function start(
  kind: 'vsftpd' | 'pure-ftpd' | 'proftpd' | 'proftpd+site',
  config?: Record<string, string>,
) {
  const srv =
    kind === 'vsftpd'
      ? await startVsftpd(config ? { config } : {})
      : kind === 'pure-ftpd'
        ? await startPureFtpd()
        : await startProftpd(
            kind === 'proftpd+site'
              ? {
                  config: {
                    ModulePath: `"${path.join(unpackedRoot, 'usr/lib/proftpd')}"`,
                    LoadModule: 'mod_site_misc.c',
                  },
                }
              : {},
          )
  servers.push(srv)
  for (const name of ['a.txt', 'with space.txt']) {
    writeFileSync(path.join(srv.root, name), 'x')
    chownSync(path.join(srv.root, name), srv.uid, srv.gid)
  }
  return srv
}

async function connect(srv: FtpServerHandle, modtime?: ModtimeMemory): Promise<FtpSession> {
  const s = await FtpSession.connect({
    host: srv.host,
    port: srv.port,
    user: srv.user,
    password: srv.password,
    timeoutMs: 10_000,
    ...(modtime ? { modtime } : {}),
  })
  sessions.push(s)
  return s
}

/** The time the server reports with a raw MDTM from a client of its own. */
async function rawMdtm(srv: FtpServerHandle, file: string): Promise<string> {
  const c = await rawLogin(srv)
  try {
    return (await c.send(`MDTM ${file}`)).text
  } finally {
    await c.close()
  }
}

/** The verbs (and reply codes) the engine sends while `fn` runs. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const stop = onFtpCommand((e) => seen.push(`${e.command} ${e.code}`))
  try {
    await fn()
  } finally {
    stop()
  }
  return seen
}

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close()
})
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop()
})

describe('modification times on real servers', () => {
  it.each(['pure-ftpd', 'proftpd'] as const)('%s: MFMT, names with spaces included', async (kind) => {
    const srv = await start(kind)
    const s = await connect(srv)
    expect(await s.setModified('/with space.txt', when)).toBe('mfmt')
    expect(statSync(path.join(srv.root, 'with space.txt')).mtime).toEqual(when)
    expect(await rawMdtm(srv, '/with space.txt')).toBe('213 20210304050607')
  })

  it('vsftpd: the MDTM write form, after SITE UTIME was refused once for the whole upstream', async () => {
    const srv = await start('vsftpd')
    const memory = new ModtimeMemory()
    const first = await connect(srv, memory)
    const commands = await commandsDuring(() => first.setModified('/with space.txt', when))
    // Both SITE UTIME forms are refused as commands (500), then MDTM writes (213).
    expect(commands).toEqual(['SITE 500', 'SITE 500', 'MDTM 213'])
    expect(statSync(path.join(srv.root, 'with space.txt')).mtime).toEqual(when)
    expect(await rawMdtm(srv, '/with space.txt')).toBe('213 20210304050607')
    expect(memory.refused).toEqual(['site-utime', 'site-utime-5'])
    // Another session of the same upstream goes straight to what works.
    const second = await connect(srv, memory)
    const later = new Date('2022-05-06T07:08:09Z')
    expect(await commandsDuring(() => second.setModified('/a.txt', later))).toEqual(['MDTM 213'])
    expect(statSync(path.join(srv.root, 'a.txt')).mtime).toEqual(later)
  })

  it('vsftpd with mdtm_write=NO: unsupported, and a missing file stays a missing file', async () => {
    const srv = await start('vsftpd', { mdtm_write: 'NO' })
    const s = await connect(srv)
    const refused = await s.setModified('/a.txt', when).catch((e: unknown) => e)
    expect(refused).toMatchObject({ kind: 'unsupported' })
    expect(statSync(path.join(srv.root, 'a.txt')).mtime).not.toEqual(when)
    expect(await s.setModified('/none.txt', when).catch((e: unknown) => e)).toMatchObject({
      kind: 'not-found',
    })
    expect(s.usable).toBe(true)
  })

  it('ProFTPD with mod_site_misc: both SITE UTIME forms set the time (UTC)', async () => {
    const srv = await start('proftpd+site')
    // MFMT refused beforehand, as on a ProFTPD without it: the two-argument form is next.
    const memory = new ModtimeMemory()
    memory.refuse('mfmt')
    const s = await connect(srv, memory)
    expect(s.features.siteUtime).toBe(true)
    expect(await commandsDuring(() => s.setModified('/with space.txt', when))).toEqual(['SITE 200'])
    expect(memory.works).toBe('site-utime')
    expect(statSync(path.join(srv.root, 'with space.txt')).mtime).toEqual(when)
    // And the five-argument form, on its own.
    memory.refuse('site-utime')
    const later = new Date('2022-05-06T07:08:09Z')
    expect(await s.setModified('/with space.txt', later)).toBe('site-utime-5')
    expect(await rawMdtm(srv, '/with space.txt')).toBe('213 20220506070809')
    // A missing file is the file's error, not a refused form.
    expect(await s.setModified('/none.txt', when).catch((e: unknown) => e)).toMatchObject({
      kind: 'not-found',
    })
    expect(memory.refused).toEqual(['mfmt', 'site-utime'])
  })
})
