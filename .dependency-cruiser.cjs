/**
 * The layers (docs/architecture.md): each imports only the ones below it, HTTP faces do not import
 * each other, and there are no cycles. `npm run lint` runs this; test/unit/lint/layers.test.ts shows
 * that a planted violation fails it.
 *
 *   src/main.ts, src/cli.ts, src/cli/ process
 *   src/gateway.ts                    wiring
 *   src/http/                         Fastify app; faces rest/ webdav/ browse/ shares/
 *   src/namespace/  (later)           the tree over the upstreams
 *   src/auth/ (src/identity/ later)   who is calling
 *   src/files/                        FileService over one upstream
 *   src/pool/                         SessionPool
 *   src/store/                        Store
 *   src/ftp/                          the FTP engine
 *   src/config.ts, src/config/        settings (imported by anything above the engine)
 *   src/local-server/                 the embedded FTP server (local mode, fault injection)
 */
const layers = ['ftp', 'store', 'pool', 'files', 'auth', 'identity', 'namespace', 'http']

/** A rule forbidding layer `from` to import any layer above it. */
function upward(from, index) {
  const above = layers.slice(index + 1)
  return {
    name: `no-upward-from-${from}`,
    comment: `src/${from}/ may import only layers below it (${layers.slice(0, index).join(', ') || 'none'})`,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: `^src/(${above.join('|')})/|^src/(gateway|main|cli)\\.ts$|^src/cli/` },
  }
}

const faces = ['rest', 'webdav', 'browse', 'shares']

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles make layers meaningless',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layers.map(upward),
    {
      name: 'ftp-knows-no-config',
      comment: 'the engine takes options, not the gateway configuration',
      severity: 'error',
      from: { path: '^src/ftp/' },
      to: { path: '^src/config' },
    },
    ...faces.map((face) => ({
      name: `no-face-to-face-from-${face}`,
      comment: 'rules HTTP faces share live in src/http/ itself, never in one face that another imports',
      severity: 'error',
      from: { path: `^src/http/${face}/` },
      to: { path: `^src/http/(${faces.filter((f) => f !== face).join('|')})/` },
    })),
    {
      name: 'http-speaks-no-ftp',
      comment: 'http/ never speaks FTP directly: it goes through files/ (and namespace/)',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(ftp|pool)/' },
    },
    {
      name: 'shared-http-imports-no-face',
      comment: 'src/http/*.ts holds what the faces share; it must not reach into one face',
      severity: 'error',
      from: { path: '^src/http/[^/]+\\.ts$', pathNot: '^src/http/app\\.ts$' },
      to: { path: `^src/http/(${faces.join('|')})/` },
    },
    {
      name: 'channels-import-nothing',
      comment: 'src/channels.ts names the diagnostics channels every layer may use; it depends on nothing',
      severity: 'error',
      from: { path: '^src/channels\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'engine-and-local-server-apart',
      comment: 'the production code never imports the embedded test/local FTP server, except main and gateway wiring',
      severity: 'error',
      from: { path: '^src/(ftp|store|pool|files|auth|identity|namespace|http)/' },
      to: { path: '^src/local-server/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    exclude: { path: '^(node_modules|dist|coverage)/' },
  },
}
