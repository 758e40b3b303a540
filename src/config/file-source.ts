/**
 * Reads a config file (GATEWAY_CONFIG) into a plain tree that remembers where every key and value
 * is, so each problem found later can name its line. YAML and JSON are the same keys: the format
 * comes from the extension (`.json`, `.yaml`, `.yml`), else from the first character (`{` is JSON).
 * JSON is checked by JSON.parse (so it is really JSON) and then read by the YAML parser, which
 * reads any JSON document, for the positions.
 */
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'

/** A value of the file with its line (1-based). */
export type FileNode =
  | { kind: 'map'; line: number; entries: FileEntry[] }
  | { kind: 'seq'; line: number; items: FileNode[] }
  | { kind: 'scalar'; line: number; value: string | number | boolean | null }
  /** Anything YAML can say that a setting cannot be (binary, a complex key's value…). */
  | { kind: 'other'; line: number; what: string }

/** One key of a mapping, with the line of the key itself. */
export interface FileEntry {
  key: string
  line: number
  value: FileNode
}

/** A file read and parsed; `root` is undefined when it could not be (the problems say why). */
export interface ConfigSource {
  /** The path as given (problems name it so, like a compiler names the file it was handed). */
  file: string
  format: 'yaml' | 'json'
  root: FileNode | undefined
  /** `file:line: message`: the form of every problem about this file. */
  at(line: number | undefined, message: string): string
}

/** A config file is a few kilobytes; anything this big is the wrong file. */
const MAX_BYTES = 1024 * 1024
/** Bounds the expansion of YAML aliases (a "billion laughs" file would otherwise never finish). */
const MAX_NODES = 50_000

/** Reads and parses `file`, appending every problem (unreadable, syntax errors with line and column). */
export function readConfigSource(file: string, problems: string[]): ConfigSource {
  const at = (line: number | undefined, message: string) =>
    line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`
  const ext = path.extname(file).toLowerCase()
  const source: ConfigSource = { file, format: ext === '.json' ? 'json' : 'yaml', root: undefined, at }
  let text: string
  try {
    if (statSync(file).size > MAX_BYTES) {
      problems.push(`GATEWAY_CONFIG: ${file} is larger than 1 MiB; is it the config file?`)
      return source
    }
    // Windows editors may start a file with a byte-order mark; JSON.parse would refuse it.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '')
  } catch (err) {
    problems.push(`GATEWAY_CONFIG: cannot read ${file}: ${(err as Error).message}`)
    return source
  }
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json' && /^\s*[{[]/.test(text)) source.format = 'json'
  const lines = new LineCounter()
  if (source.format === 'json') {
    try {
      JSON.parse(text)
    } catch (err) {
      problems.push(jsonSyntaxProblem(source, text, err as Error))
      return source
    }
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0])
      // The parser's advice for this one speaks to programmers; the reader is an operator.
      const message =
        e.code === 'MULTIPLE_DOCS' ? 'a config file is one document (remove this ---)' : e.message
      problems.push(`${file}:${pos.line}:${pos.col}: ${source.format} syntax: ${message}`)
    }
    return source
  }
  if (doc.contents === null) {
    problems.push(at(undefined, 'the file is empty'))
    return source
  }
  let budget = MAX_NODES
  const anchors = new Map<Node, Node | undefined>()
  const convert = (node: Node | null, fallbackLine: number): FileNode => {
    if (--budget < 0) throw new RangeError('too many nodes')
    if (node === null) return { kind: 'scalar', line: fallbackLine, value: null }
    const line = node.range ? lines.linePos(node.range[0]).line : fallbackLine
    if (isAlias(node)) {
      // resolve() searches the document; an alias repeated through other aliases is looked up once.
      let target = anchors.get(node)
      if (target === undefined) {
        target = node.resolve(doc as Document)
        anchors.set(node, target)
      }
      return target ? { ...convert(target, line), line } : { kind: 'other', line, what: 'a broken alias' }
    }
    if (isScalar(node)) {
      const v = node.value
      if (v === null || typeof v === 'string' || typeof v === 'boolean')
        return { kind: 'scalar', line, value: v }
      if (typeof v === 'number') return { kind: 'scalar', line, value: v }
      return { kind: 'other', line, what: Buffer.isBuffer(v) ? 'binary data' : typeof v }
    }
    if (isSeq(node)) return { kind: 'seq', line, items: node.items.map((i) => convert(i as Node, line)) }
    if (isMap(node)) {
      const entries: FileEntry[] = []
      for (const pair of node.items) {
        const k = pair.key as Node | null
        const keyLine = k?.range ? lines.linePos(k.range[0]).line : line
        if (k !== null && !isScalar(k)) {
          entries.push({
            key: '',
            line: keyLine,
            value: { kind: 'other', line: keyLine, what: 'a complex key' },
          })
          continue
        }
        entries.push({
          key: String(k?.value ?? ''),
          line: keyLine,
          value: convert(pair.value as Node, keyLine),
        })
      }
      return { kind: 'map', line, entries }
    }
    return { kind: 'other', line, what: 'an unknown node' }
  }
  try {
    source.root = convert(doc.contents as Node, 1)
  } catch {
    problems.push(at(undefined, `more than ${MAX_NODES} values (aliases expanding?)`))
  }
  return source
}

/**
 * The problem for a key nobody reads: named by its full path, with the nearest known key when it
 * looks like a typo (`timeoutMS` for `timeoutMs`), since nothing in the file is silently ignored.
 */
export function unknownKeyProblem(
  source: ConfigSource,
  entry: FileEntry,
  prefix: string,
  known: readonly string[],
): string {
  const near = nearest(entry.key, known)
  const hint = near === undefined ? `known here: ${known.join(', ')}` : `did you mean ${prefix}${near}?`
  return source.at(entry.line, `unknown key ${prefix}${entry.key} (${hint})`)
}

function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1
  for (const k of known) {
    const w = word.toLowerCase()
    const lk = k.toLowerCase()
    // A key with a word stuck on (poolSize for pool) is as near as a typo.
    const d = w === lk ? 0 : w.startsWith(lk) || lk.startsWith(w) ? 1 : editDistance(word, k)
    if (d < bestDistance) {
      best = k
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = row
  }
  return prev[b.length] as number
}

/** How a node is named in "must be …" problems. */
export function describeNode(node: FileNode): string {
  if (node.kind === 'map') return 'a mapping'
  if (node.kind === 'seq') return 'a list'
  if (node.kind === 'other') return node.what
  return node.value === null ? 'empty' : JSON.stringify(node.value)
}

/** JSON.parse's message with the line and column of its position (Node names a position, sometimes a line). */
function jsonSyntaxProblem(source: ConfigSource, text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message)
  // The position becomes line:column in front; the rest of Node's message stays.
  const message = err.message.replace(/\s*(in JSON )?at position \d+.*$/, '')
  if (!m) return `${source.file}: json syntax: ${message}`
  let line = 1
  let start = 0
  const offset = Math.min(Number(m[1]), text.length)
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      start = i + 1
    }
  }
  return `${source.file}:${line}:${offset - start + 1}: json syntax: ${message}`
}
