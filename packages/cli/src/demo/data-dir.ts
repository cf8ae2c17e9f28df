/**
 * The demo's data directory: one sub-directory per node (`query-1`, `operator-<i>`, each with its DuckDB
 * files and `metadata/node.key`, the node's identity) and `logs/`. A run keeps the node directories, so the
 * rows and the node identities survive (the metadata layer sees the same nodes, not new ones with new keys);
 * only the logs rotate (`x.log` becomes `x.log.1`). `fresh` removes the whole directory first.
 *
 * A run with fewer operators than the directory holds keeps the extra operators' directories (a later run
 * with more uses them again) but drops every node's policy store (`metadata/policies.json`): otherwise the
 * metadata would still list the extra operators' tables, and a network query would fail naming an
 * unreachable operator. The nodes publish their own policies again at start (same keys, so the same ids).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Marks a directory the demo created, so `--fresh` never wipes a directory that is not the demo's. */
export const DEMO_MARKER = '.fedlake-demo'

export type DemoDirResult =
  | { ok: true, reused: boolean, logs: string, notStarted: string[] }
  | { ok: false, code: 'DEMO_DIR_NOT_DEMO', message: string }

function isDemoDir (dir: string): boolean {
  return existsSync(join(dir, DEMO_MARKER)) || existsSync(join(dir, 'query-1'))
}

function holdsNodes (dir: string): boolean {
  return existsSync(join(dir, 'query-1')) || (existsSync(dir) && readdirSync(dir).some(e => e.startsWith('operator-')))
}

const POLICY_STORE = join('metadata', 'policies.json')

export function prepareDemoDir (dir: string, options: { fresh: boolean, operators: number }): DemoDirResult {
  if (options.fresh && existsSync(dir) && readdirSync(dir).length > 0) {
    if (!isDemoDir(dir)) return { ok: false, code: 'DEMO_DIR_NOT_DEMO', message: `--fresh would remove ${dir}, which is not a fedlake demo directory (no ${DEMO_MARKER}); remove it yourself or choose another --dir` }
    rmSync(dir, { recursive: true, force: true })
  }
  const reused = holdsNodes(dir)
  const logs = join(dir, 'logs')
  mkdirSync(logs, { recursive: true })
  writeFileSync(join(dir, DEMO_MARKER), 'created by fedlake demo; --fresh may remove this directory\n')
  for (const file of readdirSync(logs)) {
    if (file.endsWith('.log')) renameSync(join(logs, file), join(logs, `${file}.1`))
  }
  const nodeDirs = readdirSync(dir).filter(e => e === 'query-1' || /^operator-\d+$/.test(e))
  const notStarted = nodeDirs.filter(e => e.startsWith('operator-') && Number(e.slice('operator-'.length)) > options.operators).sort()
  if (notStarted.length > 0) for (const e of nodeDirs) rmSync(join(dir, e, POLICY_STORE), { force: true })
  return { ok: true, reused, logs, notStarted }
}
