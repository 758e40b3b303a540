import type { FileService, Identity, RelPath } from '../files/types.js'

/** One side of a move or copy between upstreams: a path on one upstream, as its identity. */
export interface Side {
  files: FileService
  who: Identity
  /** On the upstream (relative to its base). */
  path: RelPath
}

/** One upstream as the tree uses it. */
export interface UpstreamBinding {
  /** The `upstreams.<name>` key. */
  readonly name: string
  /** The upstream's file service (paths relative to the upstream's base). */
  readonly files: FileService
  /** Set when the upstream's URL carries an account: every request to it runs as that account. */
  readonly serviceIdentity: Identity | undefined
  /**
   * How people reach it (`credentials`); absent: `service` with a service identity, else
   * `passthrough`. `mapped`: each person's linked account (`Identity.linked`).
   */
  readonly credentials?: 'passthrough' | 'service' | 'mapped' | undefined
  /** Identifies the upstream's files (host, port and base): two bindings with one id see the same files. */
  readonly id: string
  /** Drops every pooled session of FTP user `user` (admin API). */
  dropUserSessions(user: string): Promise<void>
}
