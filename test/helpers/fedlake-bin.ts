/**
 * The `fedlake` bin as tests and benchmarks spawn it. Children run the compiled packages/*\/dist, as users do,
 * when it is current (`npm test` and the benchmarks build first). A test run alone after editing sources would
 * otherwise test the old code: when dist is missing or a source is newer than its last build, importing this
 * module sets FEDLAKE_FROM_SOURCE=1 in this process's environment, which every child inherits, and says so once.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FEDLAKE_BIN = fileURLToPath(new URL('../../packages/cli/bin/fedlake.js', import.meta.url))
const PACKAGES = fileURLToPath(new URL('../../packages', import.meta.url))
/** Written by scripts/build.mjs after a complete build. */
const BUILD_STAMP = join(PACKAGES, 'cli', 'dist', '.build-stamp')

/** Newest modification time of a directory (entries added, removed or renamed) and of everything under it. */
function newestUnder (dir: string): number {
  let newest = statSync(dir).mtimeMs
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Why dist does not hold the current sources, or undefined when it does. */
export function staleDist (): string | undefined {
  const built = statSync(BUILD_STAMP, { throwIfNoEntry: false })?.mtimeMs
  if (built === undefined) return 'no build (packages/cli/dist/.build-stamp)'
  for (const pkg of readdirSync(PACKAGES)) {
    const src = join(PACKAGES, pkg, 'src')
    if (statSync(src, { throwIfNoEntry: false }) !== undefined && newestUnder(src) > built) return `packages/${pkg}/src changed after the last build`
  }
  return undefined
}

if (process.env.FEDLAKE_FROM_SOURCE === undefined) {
  const stale = staleDist()
  if (stale !== undefined) {
    process.env.FEDLAKE_FROM_SOURCE = '1'
    process.stderr.write(`note: ${stale}; fedlake children run from sources (slower start-up). npm run build compiles them.\n`)
  }
}
