import net from 'node:net'
import { ActiveChannel, PassiveChannel } from '../data-channel.js'
import type { Session } from '../session.js'
import type { CommandTable } from './spec.js'

async function listen(s: Session): Promise<PassiveChannel> {
  const channel = await PassiveChannel.listen(
    s.localAddress,
    s.peerAddress,
    s.ctx.options.pasvPorts,
    s.ctx.dataTimeoutMs,
    (remote) =>
      s.ctx.logger?.warn({ session: s.id, remote }, 'data connection from a foreign address dropped'),
  )
  s.setData(channel)
  return channel
}

async function pasv(s: Session): Promise<void> {
  if (s.epsvAll) return s.reply(503, 'PASV not allowed after EPSV ALL.')
  if (!net.isIPv4(s.localAddress)) return s.reply(425, 'PASV needs IPv4; use EPSV.')
  const channel = await listen(s)
  const host = (s.ctx.faults.pasvAddress ?? s.localAddress).split('.').join(',')
  return s.reply(227, `Entering Passive Mode (${host},${channel.port >> 8},${channel.port & 255}).`)
}

async function epsv(s: Session, arg: string): Promise<void> {
  const a = arg.trim().toUpperCase()
  if (a === 'ALL') {
    s.epsvAll = true
    return s.reply(200, 'EPSV ALL ok.')
  }
  const family = net.isIPv6(s.localAddress) ? '2' : '1'
  if (a !== '' && a !== family) return s.reply(522, `Network protocol not supported, use (${family})`)
  const channel = await listen(s)
  const raw = s.ctx.faults.epsvReply
  if (raw !== undefined) return s.write(`${raw}\r\n`)
  return s.reply(229, `Entering Extended Passive Mode (|||${channel.port}|)`)
}

/**
 * Active mode target, refused unless it is the control peer on an unprivileged port: this is
 * what keeps the server from being used for a PORT bounce (RFC 2577).
 */
function active(s: Session, host: string, port: number, verb: string): Promise<void> {
  if (s.epsvAll) return s.reply(503, `${verb} not allowed after EPSV ALL.`)
  if (host !== s.peerAddress || port < 1024 || port > 65535) {
    return s.reply(500, `Illegal ${verb} command.`)
  }
  s.setData(new ActiveChannel(host, port, s.localAddress, s.ctx.dataTimeoutMs))
  return s.reply(200, `${verb} command successful. Consider using PASV.`)
}

function port(s: Session, arg: string): Promise<void> {
  const parts = arg.trim().split(',')
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN))
  if (nums.length !== 6 || nums.some((n) => Number.isNaN(n) || n > 255)) {
    return s.reply(501, 'Syntax error in PORT arguments.')
  }
  return active(s, nums.slice(0, 4).join('.'), nums[4]! * 256 + nums[5]!, 'PORT')
}

function eprt(s: Session, arg: string): Promise<void> {
  const d = arg[0]
  const fields = d ? arg.split(d) : []
  // `|proto|addr|port|` splits into ['', proto, addr, port, ''].
  if (fields.length !== 5 || fields[0] !== '' || fields[4] !== '' || !/^\d+$/.test(fields[3] ?? '')) {
    return s.reply(501, 'Syntax error in EPRT arguments.')
  }
  const [, proto, host = '', p] = fields
  const family = net.isIPv6(s.localAddress) ? '2' : '1'
  if (proto !== family) return s.reply(522, `Network protocol not supported, use (${family})`)
  if (net.isIP(host) === 0) return s.reply(501, 'Bad EPRT address.')
  return active(s, host, Number(p), 'EPRT')
}

/** PASV, EPSV, PORT and EPRT: setting up the session's one pending data connection. */
export const dataSetupCommands: CommandTable = {
  PASV: { feature: 'pasv', handler: pasv },
  EPSV: { feature: 'epsv', handler: epsv },
  PORT: { feature: 'port', handler: port },
  EPRT: { feature: 'eprt', handler: eprt },
}
