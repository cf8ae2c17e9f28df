/**
 * scripts/check-boundaries.ts: the real tree passes; a copy of it with one violation injected at a time
 * fails, naming the file and the rule.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { checkBoundaries } from '../scripts/check-boundaries.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const SCRIPT = join(REPO, 'scripts', 'check-boundaries.ts')

describe('import boundaries checker', () => {
  let root = ''

  /** Writes files into the copy (new text, or a function of the old), runs the checker, restores the copy. */
  const problemsWith = (changes: Record<string, string | ((text: string) => string)>): string[] => {
    const saved = new Map<string, string | undefined>()
    for (const [rel, change] of Object.entries(changes)) {
      const file = join(root, rel)
      const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined
      saved.set(rel, before)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, typeof change === 'function' ? change(before ?? '') : change)
    }
    try {
      return checkBoundaries(root)
    } finally {
      for (const [rel, text] of saved) {
        if (text === undefined) rmSync(join(root, rel), { force: true })
        else writeFileSync(join(root, rel), text)
      }
    }
  }

  const assertReported = (problems: readonly string[], file: string, pattern: RegExp): void => {
    assert.ok(problems.some(p => p.startsWith(file) && pattern.test(p)), `expected ${file} ${String(pattern)} among:\n${problems.join('\n')}`)
  }

  const withDependency = (name: string, where: 'dependencies' | 'devDependencies' = 'dependencies') => (text: string): string => {
    const manifest = JSON.parse(text) as Record<string, Record<string, string> | undefined>
    manifest[where] = { ...manifest[where], [name]: '0.1.0' }
    return JSON.stringify(manifest, null, 2)
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'fedlake-boundaries-'))
    for (const dir of ['packages', 'test', 'bench', 'scripts']) {
      cpSync(join(REPO, dir), join(root, dir), { recursive: true, filter: src => !src.split(/[\\/]/).includes('node_modules') })
    }
  })

  after(() => {
    rmSync(root, { recursive: true, force: true })
  })

  it('passes on the real tree and on its unchanged copy', () => {
    assert.deepEqual(checkBoundaries(REPO), [])
    assert.deepEqual(checkBoundaries(root), [])
  })

  it('catches a relative import that leaves its package, resolved rather than matched', () => {
    const problems = problemsWith({
      'packages/node/src/evil.ts': "import { createThreadedDuckDbStorage } from '../../operator/src/storage/threaded-storage.js'\nexport const s = createThreadedDuckDbStorage\n",
      'packages/node/src/http/evil.ts': "export * from './../../../operator/src/index.js'\n",
      'packages/node/src/evil-worker.ts': "export const entry = new URL('../../operator/src/storage/storage-worker.ts', import.meta.url)\n"
    })
    assertReported(problems, 'packages/node/src/evil.ts:1:', /reaches into packages\/operator/)
    assertReported(problems, 'packages/node/src/http/evil.ts:1:', /reaches into packages\/operator/)
    assertReported(problems, 'packages/node/src/evil-worker.ts:1:', /reaches into packages\/operator/)
  })

  it('applies the seam rules to require, createRequire(...)(), require.resolve and import.meta.resolve', () => {
    const problems = problemsWith({
      'packages/node/src/evil-require.ts': [
        "import { createRequire } from 'node:module'",
        "export const duck = createRequire(import.meta.url)('@duckdb/node-api')",
        'const load = createRequire(import.meta.url)',
        "export const p2p = load.resolve('libp2p')",
        "export const grpc = import.meta.resolve('@grpc/grpc-js')",
        "declare const require: (id: string) => unknown",
        "export const fastify = require('fastify')"
      ].join('\n')
    })
    assertReported(problems, 'packages/node/src/evil-require.ts:2:', /@duckdb\/node-api; DuckDB lives only/)
    assertReported(problems, 'packages/node/src/evil-require.ts:4:', /libp2p; libp2p lives only in packages\/metadata/)
    assertReported(problems, 'packages/node/src/evil-require.ts:5:', /@grpc\/grpc-js; grpc-js lives only/)
    assertReported(problems, 'packages/node/src/evil-require.ts:7:', /fastify; fastify lives only/)
  })

  it('fails a computed import() or require() in package code unless its line gives a reason', () => {
    const problems = problemsWith({
      'packages/query/src/evil-dynamic.ts': [
        'export async function load (someVariable: string): Promise<unknown> {',
        '  return await import(someVariable)',
        '}',
        'export async function plugin (name: string): Promise<unknown> {',
        '  return await import(`./plugins/${name}.js`) // boundaries: allow-dynamic-import plugins are files of this package',
        '}'
      ].join('\n')
    })
    assertReported(problems, 'packages/query/src/evil-dynamic.ts:2:', /computed import\(\)/)
    assert.ok(!problems.some(p => p.startsWith('packages/query/src/evil-dynamic.ts:5:')), problems.join('\n'))
  })

  it('does not mistake strings and comments for imports', () => {
    assert.deepEqual(problemsWith({
      'packages/node/src/innocent.ts': "// import x from 'libp2p'\nexport const text = \"import('@duckdb/node-api'); require('fastify')\"\n"
    }), [])
  })

  it('catches deep imports of @fedlake packages from packages and from top-level code', () => {
    const problems = problemsWith({
      'packages/node/src/evil-deep.ts': "export { createDuckDbStorage } from '@fedlake/operator/src/storage/index.js'\n",
      'test/evil-deep.test.ts': "import '@fedlake/core/src/errors.js'\n"
    })
    assertReported(problems, 'packages/node/src/evil-deep.ts:1:', /deep import @fedlake\/operator\/src\/storage\/index\.js/)
    assertReported(problems, 'test/evil-deep.test.ts:1:', /deep import @fedlake\/core\/src\/errors\.js/)
  })

  it('enforces the edge table: a declared edge it does not allow, an import it does not allow, an allowed but undeclared import', () => {
    const declared = problemsWith({ 'packages/operator/package.json': withDependency('@fedlake/query') })
    assertReported(declared, 'packages/operator/package.json', /declares @fedlake\/query, but operator may import only core, sql, duckdb/)
    const imported = problemsWith({
      'packages/sql/package.json': withDependency('@fedlake/duckdb'),
      'packages/sql/src/evil-edge.ts': "export { DUCKDB_ERRORS } from '@fedlake/duckdb'\n"
    })
    assertReported(imported, 'packages/sql/src/evil-edge.ts:1:', /imports @fedlake\/duckdb, but sql may import only core/)
    const undeclared = problemsWith({ 'packages/cli/src/evil-undeclared.ts': "export type { SqlCommand } from '@fedlake/query'\n" })
    assertReported(undeclared, 'packages/cli/src/evil-undeclared.ts:1:', /does not declare in dependencies/)
  })

  it('finds package cycles', () => {
    const problems = problemsWith({
      'packages/core/package.json': withDependency('@fedlake/cli'),
      'packages/core/src/evil-cycle.ts': "export * from '@fedlake/cli'\n"
    })
    assert.ok(problems.some(p => /^package cycle: .*@fedlake\/core -> @fedlake\/cli -> .*@fedlake\/core/.test(p) || /^package cycle: .*@fedlake\/cli -> .*@fedlake\/core -> @fedlake\/cli/.test(p)), problems.join('\n'))
    const dev = problemsWith({ 'packages/kubearmor-sim/package.json': withDependency('@fedlake/cli', 'devDependencies') })
    assertReported(dev, 'packages/kubearmor-sim/package.json', /devDependency @fedlake\/cli would close a cycle/)
  })

  it('checks package tests: seams, other packages, relative paths', () => {
    const problems = problemsWith({
      'packages/query/test/evil-seam.test.ts': "import { createLibp2p } from 'libp2p'\nexport const c = createLibp2p\n",
      'packages/sql/test/evil-edge.test.ts': "import '@fedlake/duckdb'\n",
      'packages/query/test/evil-relative.test.ts': "import '../../operator/src/index.js'\n"
    })
    assertReported(problems, 'packages/query/test/evil-seam.test.ts:1:', /libp2p lives only in packages\/metadata/)
    assertReported(problems, 'packages/sql/test/evil-edge.test.ts:1:', /neither an allowed edge of sql nor a devDependency/)
    assertReported(problems, 'packages/query/test/evil-relative.test.ts:1:', /reaches into packages\/operator/)
  })

  it('checks bench/ and scripts/: heavy libraries only with a listed exception', () => {
    const problems = problemsWith({
      'bench/evil-duckdb.ts': "import { DuckDBInstance } from '@duckdb/node-api'\nexport const d = DuckDBInstance\n",
      'scripts/evil-fastify.ts': "import Fastify from 'fastify'\nexport const f = Fastify\n"
    })
    assertReported(problems, 'bench/evil-duckdb.ts:1:', /TOP_LEVEL_SEAM_EXCEPTIONS/)
    assertReported(problems, 'scripts/evil-fastify.ts:1:', /fastify lives only/)
    assert.ok(!problems.some(p => p.startsWith('bench/duckdb-alone.ts')), 'the listed exception passes')
  })

  it('reports a known violation that no longer occurs, so the list stays true', () => {
    const problems = problemsWith({
      'packages/kubearmor-sim/test/tls-health-reflection.test.ts': text => text.replace(/^import \{ parseKubearmorSimArgs \}.*$/m, 'const parseKubearmorSimArgs = (_: string[]): never => { throw new Error() }')
    })
    assertReported(problems, 'scripts/check-boundaries.ts', /KNOWN_VIOLATIONS lists .* no longer occurs/)
  })

  it('as a command: exits 1 naming the violation, 0 on the real tree', () => {
    const file = join(root, 'packages/node/src/evil-cli.ts')
    writeFileSync(file, "import '../../operator/src/index.js'\n")
    try {
      const failing = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, '--root', root], { encoding: 'utf8', timeout: 120_000 })
      assert.equal(failing.status, 1, failing.stderr)
      assert.match(failing.stderr, /packages\/node\/src\/evil-cli\.ts:1: \.\.\/\.\.\/operator\/src\/index\.js reaches into packages\/operator/)
    } finally {
      rmSync(file)
    }
    const passing = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT], { encoding: 'utf8', timeout: 120_000, cwd: dirname(SCRIPT) })
    assert.equal(passing.status, 0, passing.stderr)
    assert.match(passing.stdout, /import boundaries ok/)
  })
})
