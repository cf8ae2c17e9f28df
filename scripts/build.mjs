/**
 * Compiles every packages/<p>/src/**\/*.ts to packages/<p>/dist/**\/*.js with esbuild (type-stripping only; tsc
 * checks types), same relative layout, so `new URL('../x', import.meta.url)` paths resolve alike from src and dist;
 * the packages in BUNDLED become one dist/index.js each. Source maps go alongside (`x.js.map`); fedlake enables
 * them for stack traces (packages/cli/bin/fedlake.js). Stale output of deleted sources is removed first. Plain
 * JavaScript: it runs before anything is compiled (`npm install`/`npm ci` run it as the root package's `prepare`
 * script; `npm run build` after editing sources).
 *
 * Writes packages/cli/dist/.build-stamp last: the bin runs dist only when it exists, and the test harness
 * (test/helpers/fedlake-bin.ts) compares its time with the sources'.
 * `node scripts/build.mjs [--quiet]`.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * Packages compiled into one file with their npm dependencies (@fedlake/* stay imports), and why. metadata: libp2p
 * and its dependencies are ~400 small ES modules, which Node loads one by one; as one file they load ~4× faster
 * (860 → 150-290 ms here), most of a node's start-up. Such a package must not locate files by import.meta.url.
 */
const BUNDLED = new Set(['metadata'])

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PACKAGES = join(ROOT, 'packages')
/** Written after a complete build; its mtime is when dist was last made whole. */
const BUILD_STAMP = join(PACKAGES, 'cli', 'dist', '.build-stamp')

function sources (dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) sources(full, out)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full)
  }
  return out
}

const started = performance.now()
const entryPoints = []
for (const pkg of readdirSync(PACKAGES).sort()) {
  const src = join(PACKAGES, pkg, 'src')
  if (!existsSync(src)) continue
  rmSync(join(PACKAGES, pkg, 'dist'), { recursive: true, force: true })
  if (BUNDLED.has(pkg)) {
    const located = sources(src).filter(file => readFileSync(file, 'utf8').includes('import.meta.url'))
    if (located.length > 0) throw new Error(`${located.join(', ')}: import.meta.url in a bundled package (BUNDLED in scripts/build.mjs) would name dist/index.js`)
    continue
  }
  for (const file of sources(src)) {
    const rel = relative(src, file).slice(0, -'.ts'.length)
    entryPoints.push({ in: file, out: join(pkg, 'dist', rel) })
  }
}
const common = {
  absWorkingDir: ROOT,
  tsconfig: join(ROOT, 'tsconfig.json'),
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning'
}
await Promise.all([
  build({ ...common, entryPoints, outdir: PACKAGES, bundle: false }),
  ...[...BUNDLED].map(pkg => build({
    ...common,
    entryPoints: [join(PACKAGES, pkg, 'src', 'index.ts')],
    outfile: join(PACKAGES, pkg, 'dist', 'index.js'),
    bundle: true,
    external: ['@fedlake/*']
  }))
])
writeFileSync(BUILD_STAMP, `${new Date().toISOString()}\n`)
if (!process.argv.includes('--quiet')) {
  process.stdout.write(`built ${entryPoints.length} files and ${BUNDLED.size} bundle(s) into packages/*/dist in ${Math.round(performance.now() - started)} ms\n`)
}
