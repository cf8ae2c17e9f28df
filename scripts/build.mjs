/**
 * Compiles every packages/<p>/src/**\/*.ts to packages/<p>/dist/**\/*.js with esbuild (type-stripping only; tsc
 * checks types), same relative layout, so `new URL('../x', import.meta.url)` paths resolve alike from src and dist.
 * Source maps go alongside (`x.js.map`); fedlake enables them for stack traces (packages/cli/bin/fedlake.js).
 * Stale output of deleted sources is removed first. Plain JavaScript: it runs before anything is compiled
 * (`npm install`/`npm ci` run it as the root package's `prepare` script; `npm run build` after editing sources).
 *
 * Writes packages/cli/dist/.build-stamp last, which the bin compares to the sources (is dist current?).
 * `node scripts/build.mjs [--quiet]`.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

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
  for (const file of sources(src)) {
    const rel = relative(src, file).slice(0, -'.ts'.length)
    entryPoints.push({ in: file, out: join(pkg, 'dist', rel) })
  }
}
await build({
  entryPoints,
  outdir: PACKAGES,
  absWorkingDir: ROOT,
  tsconfig: join(ROOT, 'tsconfig.json'),
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning'
})
writeFileSync(BUILD_STAMP, `${new Date().toISOString()}\n`)
if (!process.argv.includes('--quiet')) {
  process.stdout.write(`built ${entryPoints.length} files into packages/*/dist in ${Math.round(performance.now() - started)} ms\n`)
}
