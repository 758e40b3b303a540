/** What a listing line or an MLST reply says about one entry. */
export type FileType = 'file' | 'dir' | 'symlink' | 'unknown'

/** One directory entry, as parsed from MLSD/MLST facts or a LIST line. */
export interface FileInfo {
  /** The entry's name, never a path; exactly as the server sent it (spaces kept). */
  name: string
  type: FileType
  /** Size in bytes, when the server said. */
  size?: number
  /** Modification time (UTC), when the server said. */
  modified?: Date
  /** Symlink target from `a -> b` in a Unix LIST line. */
  target?: string
  /** MLSx `unique` fact: a server-side identity usable in ETags. */
  unique?: string
  /** MLSx `perm` fact, or the Unix mode string (`-rw-r--r--`). */
  permissions?: string
}
