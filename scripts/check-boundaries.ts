/**
 * Enforces the package graph and the "heavy library behind one seam" rule of design.md §2, for every
 * source file: packages/<p>/src (and bin), their tests and benchmarks, and the top-level test/, bench/
 * and scripts/. Exits 1 listing every violation as `file:line: what`.
 *
 * - @fedlake packages import each other only along ALLOWED_EDGES, only through their "exports", and
 *   package.json agrees (an import of an undeclared package fails, and so does a declared edge the table
 *   does not allow); no cycles.
 * - Each heavy library is imported only inside its seam (SEAMS).
 * - Relative imports stay inside their own package (or top-level area); the path is resolved, not matched.
 * - require(), createRequire(...)(), require.resolve() and import.meta.resolve() follow the same rules as
 *   imports; in package code a computed import()/require() fails unless its line says
 *   `// boundaries: allow-dynamic-import <reason>` (none does today).
 * - Tests and benchmarks of a package may import what its code may, their own package by name, the
 *   package's devDependencies and the shared helpers in test/helpers; top-level test/, bench/ and scripts/
 *   may import every package's public entry, and a heavy library only where TOP_LEVEL_SEAM_EXCEPTIONS says why.
 *
 * Not seen: code built as text and evaluated elsewhere. The one case is the storage worker's bootstrap
 * (packages/operator/src/storage/threaded-storage.ts), eval'd by `new Worker(..., { eval: true })`; the
 * modules it loads are named outside the string and checked: `import.meta.resolve('tsx/esm/api')` and
 * `new URL('./storage-worker.ts', import.meta.url)` or its compiled `./storage-worker.js` (which must stay
 * inside the package).
 *
 * `node --conditions=source --import tsx scripts/check-boundaries.ts [--root DIR]` (DIR defaults to this repository).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { scanModuleReferences } from './boundaries/module-references.js'
import type { ModuleReference } from './boundaries/module-references.js'

/** The only @fedlake edges: package → the packages it may import, and why it exists. */
export const ALLOWED_EDGES: Readonly<Record<string, { readonly imports: readonly string[], readonly why: string }>> = {
  core: { imports: [], why: 'contracts every package shares (errors, logger, lifecycle, config, types); imports no package' },
  sql: { imports: ['core'], why: 'the parse-tree and result contracts and the read-only validator; never an engine (duckdb) or metadata' },
  duckdb: { imports: ['core', 'sql'], why: 'the DuckDB seam shared by operator storage and the query merge' },
  metadata: { imports: ['core'], why: 'the replicated metadata layer and node-to-node streams; libp2p stays inside it' },
  operator: { imports: ['core', 'sql', 'duckdb'], why: 'storage, ingest and local SQL; never query (they share contracts through core and sql)' },
  query: { imports: ['core', 'sql', 'duckdb', 'metadata'], why: 'planner, fan-out over metadata streams, merge in DuckDB; never operator' },
  'kubearmor-sim': { imports: ['core'], why: 'a standalone KubeArmor LogService simulator' },
  node: { imports: ['core', 'sql', 'duckdb', 'metadata', 'operator', 'query'], why: 'the composition root: builds the roles and the REST server' },
  cli: { imports: ['core', 'node', 'query', 'kubearmor-sim'], why: 'the fedlake command: starts nodes and simulators, prints replies' }
}

interface Seam {
  /** Does a package name belong to this library? */
  readonly library: (packageName: string) => boolean
  /** Path prefixes where it may be imported; `*` stands for one path segment. */
  readonly allowedIn: readonly string[]
  readonly why: string
}

export const SEAMS: readonly Seam[] = [
  {
    library: n => n === 'libp2p' || /^@(libp2p|chainsafe|multiformats)\//.test(n),
    allowedIn: ['packages/metadata/src/'],
    why: 'libp2p lives only in packages/metadata (other packages use MetadataNode.openStream/handleStream)'
  },
  {
    library: n => n.startsWith('@duckdb/'),
    allowedIn: ['packages/duckdb/src/', 'packages/operator/src/storage/'],
    why: 'DuckDB lives only in packages/duckdb and packages/operator/src/storage'
  },
  {
    library: n => n === 'fastify' || n.startsWith('fastify-') || n.startsWith('@fastify/'),
    allowedIn: ['packages/*/src/http/'],
    why: 'fastify lives only in */src/http'
  },
  {
    library: n => n === 'prom-client',
    allowedIn: ['packages/node/src/metrics/'],
    why: 'prom-client (Prometheus registry, default process metrics) lives only in packages/node/src/metrics; GET /metrics serves its text'
  },
  {
    library: n => n === '@modelcontextprotocol/sdk',
    allowedIn: ['packages/node/src/mcp/'],
    why: 'the MCP SDK (server, tools, Streamable HTTP transport) lives only in packages/node/src/mcp; http/mcp-routes.ts hands it web-standard requests'
  },
  {
    library: n => n.startsWith('@grpc/'),
    allowedIn: ['packages/kubearmor-sim/src/'],
    why: 'grpc-js lives only in the KubeArmor simulator (the connector speaks gRPC over node:http2, nodes talk over libp2p)'
  }
]

/** Top-level test/, bench/ and scripts/ files that use a heavy library directly, and why. */
export const TOP_LEVEL_SEAM_EXCEPTIONS: ReadonlyArray<{ readonly file: string, readonly library: string, readonly why: string }> = [
  { file: 'bench/fanout.bench.ts', library: '@duckdb/node-api', why: 'the baseline: one DuckDB holding the union of the operators\' rows, beside the network query fanned out to them' },
  { file: 'bench/load.bench.ts', library: '@duckdb/node-api', why: 'the reference and baseline: one DuckDB opening both operators\' files, whose answers the network\'s must equal and whose latency the load is measured against' },
  { file: 'bench/duckdb-alone.ts', library: '@duckdb/node-api', why: 'the baseline: DuckDB\'s appender alone, which the ingest benchmark is measured against' },
  { file: 'bench/join.bench.ts', library: '@duckdb/node-api', why: 'the baseline: one DuckDB holding every operator\'s rows, which network joins are measured against; it also writes the operators\' files' },
  { file: 'bench/query.bench.ts', library: '@duckdb/node-api', why: 'the baseline: one DuckDB holding every operator\'s rows, which network queries are measured against; it also writes the operators\' files' },
  { file: 'test/helpers/network-fixture.ts', library: '@duckdb/node-api', why: 'the reference: one DuckDB holding the union of every operator\'s rows, which network answers must equal' },
  { file: 'test/network-order-by.test.ts', library: '@duckdb/node-api', why: 'the reference: one DuckDB sorting the union of the operators\' rows, whose order the network\'s ORDER BY must equal' },
  { file: 'test/mcp.test.ts', library: '@modelcontextprotocol/sdk', why: 'an AI assistant\'s side: the SDK\'s own client, over Streamable HTTP, against a running network\'s /mcp' }
]

/** Violations that exist today and are to be fixed by their owners; each must still occur (a fixed one is removed). */
export const KNOWN_VIOLATIONS: ReadonlyArray<{ readonly file: string, readonly specifier: string, readonly why: string }> = [
  {
    file: 'packages/kubearmor-sim/test/tls-health-reflection.test.ts',
    specifier: '../../cli/src/commands/kubearmor-sim.js',
    why: 'tests the simulator flags parser, which lives in packages/cli: that part belongs in packages/cli/test'
  }
]

/** Shared helpers of every test and benchmark. */
const SHARED_TEST_HELPERS = 'test/helpers/'
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/
const SKIPPED_DIRS = new Set(['node_modules', '.scratch', 'dist'])
const TOP_LEVEL_AREAS = ['test', 'bench', 'scripts'] as const

interface Manifest {
  readonly name: string
  readonly dependencies: Readonly<Record<string, string>>
  readonly devDependencies: Readonly<Record<string, string>>
  readonly exports: ReadonlySet<string>
}

/** Where a file sits decides what it may import. `dirs` are the areas its relative imports may reach. */
type Zone =
  | { readonly kind: 'package-code', readonly pkg: string, readonly dirs: readonly string[] }
  | { readonly kind: 'package-test', readonly pkg: string, readonly dirs: readonly string[] }
  | { readonly kind: 'top-level', readonly area: string, readonly dirs: readonly string[] }

/** Parsed references by file type and text (the test runs the checker on copies of the tree, many times). */
const scanned = new Map<string, ModuleReference[]>()

function referencesOf (file: string): ModuleReference[] {
  const text = readFileSync(file, 'utf8')
  const key = `${extname(file)}\n${text}`
  let references = scanned.get(key)
  if (references === undefined) {
    references = scanModuleReferences(file, text)
    scanned.set(key, references)
  }
  return references
}

function walk (dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(entry)) continue
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) walk(full, out)
    else if (SOURCE_FILE.test(entry)) out.push(full)
  }
  return out
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageNameOf (specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] as string
}

function readManifest (file: string): Manifest {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { name: string, dependencies?: Record<string, string>, peerDependencies?: Record<string, string>,
    optionalDependencies?: Record<string, string>, devDependencies?: Record<string, string>, exports?: Record<string, string> | string }
  const exportKeys = typeof raw.exports === 'object' ? Object.keys(raw.exports) : ['.']
  return {
    name: raw.name,
    dependencies: { ...raw.dependencies, ...raw.peerDependencies, ...raw.optionalDependencies },
    devDependencies: raw.devDependencies ?? {},
    exports: new Set(exportKeys.map(k => k === '.' ? raw.name : `${raw.name}/${k.replace(/^\.\//, '')}`))
  }
}

function seamAllows (seam: Seam, relPath: string): boolean {
  const parts = relPath.split('/')
  return seam.allowedIn.some(prefix => {
    const dirs = prefix.split('/').slice(0, -1)
    return parts.length > dirs.length && dirs.every((d, i) => d === '*' || d === parts[i])
  })
}

/** Does the package's code use the seam somewhere (then its tests may too)? */
function ownsSeam (seam: Seam, pkg: string): boolean {
  return seam.allowedIn.some(prefix => { const segment = prefix.split('/')[1]; return segment === '*' || segment === pkg })
}

/** Packages reachable from `from` along allowed edges. */
function reachable (from: string): Set<string> {
  const seen = new Set<string>()
  const stack = [from]
  while (stack.length > 0) {
    for (const next of ALLOWED_EDGES[stack.pop() as string]?.imports ?? []) {
      if (!seen.has(next)) { seen.add(next); stack.push(next) }
    }
  }
  return seen
}

function findCycles (graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return
    if (state.get(node) === 'visiting') { cycles.push([...path.slice(path.indexOf(node)), node]); return }
    state.set(node, 'visiting')
    for (const next of graph.get(node) ?? []) visit(next, [...path, node])
    state.set(node, 'done')
  }
  for (const node of graph.keys()) visit(node, [])
  return cycles
}

/** Every violation under `root`, as `file:line: message` (file relative to root). */
export function checkBoundaries (root: string): string[] {
  const problems: string[] = []
  const packagesDir = join(root, 'packages')
  const manifests = new Map<string, Manifest>()
  for (const dir of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = readManifest(file)
    const short = manifest.name.replace(/^@fedlake\//, '')
    if (short !== dir) problems.push(`packages/${dir}/package.json: package ${manifest.name} lives in packages/${dir}; name the directory after the package`)
    manifests.set(short, manifest)
  }
  const packages = [...manifests.keys()]

  // the table itself: complete, acyclic, and package.json agrees with it
  for (const p of packages) if (ALLOWED_EDGES[p] === undefined) problems.push(`packages/${p}/package.json: @fedlake/${p} is not in ALLOWED_EDGES (scripts/check-boundaries.ts); add it with the packages it may import`)
  for (const p of Object.keys(ALLOWED_EDGES)) if (!manifests.has(p)) problems.push(`scripts/check-boundaries.ts: ALLOWED_EDGES lists ${p}, which is not a package`)
  for (const cycle of findCycles(new Map(Object.entries(ALLOWED_EDGES).map(([p, e]) => [p, new Set(e.imports)])))) {
    problems.push(`scripts/check-boundaries.ts: ALLOWED_EDGES has a cycle: ${cycle.join(' -> ')}`)
  }
  const graph = new Map<string, Set<string>>(packages.map(p => [p, new Set<string>()]))
  for (const [p, m] of manifests) {
    const allowed = ALLOWED_EDGES[p]?.imports ?? []
    for (const dep of Object.keys(m.dependencies).filter(d => d.startsWith('@fedlake/'))) {
      const q = dep.slice('@fedlake/'.length)
      graph.get(p)?.add(q)
      if (!allowed.includes(q)) problems.push(`packages/${p}/package.json: declares ${dep}, but ${p} may import only ${allowed.length > 0 ? allowed.join(', ') : 'no package'} (ALLOWED_EDGES)`)
    }
    for (const dep of Object.keys(m.devDependencies).filter(d => d.startsWith('@fedlake/'))) {
      const q = dep.slice('@fedlake/'.length)
      if (q === p || reachable(q).has(p)) problems.push(`packages/${p}/package.json: devDependency ${dep} would close a cycle (${q} reaches ${p})`)
    }
  }

  const zoneOf = (rel: string): Zone | undefined => {
    const parts = rel.split('/')
    if (parts[0] === 'packages' && parts.length > 2) {
      const pkg = parts[1] as string
      if (!manifests.has(pkg)) return undefined
      const own = `packages/${pkg}/`
      return parts[2] === 'test' || parts[2] === 'bench'
        ? { kind: 'package-test', pkg, dirs: [own, SHARED_TEST_HELPERS] }
        : { kind: 'package-code', pkg, dirs: [own] }
    }
    const area = parts[0] as string
    if (area === 'test') return { kind: 'top-level', area, dirs: ['test/', 'scripts/'] }
    if (area === 'bench') return { kind: 'top-level', area, dirs: ['bench/', SHARED_TEST_HELPERS] }
    if (area === 'scripts') return { kind: 'top-level', area, dirs: ['scripts/'] }
    return undefined
  }

  const knownUsed = new Set<number>()
  const report = (rel: string, ref: ModuleReference, message: string): void => {
    const known = KNOWN_VIOLATIONS.findIndex(k => k.file === rel && k.specifier === ref.specifier)
    if (known >= 0) { knownUsed.add(known); return }
    problems.push(`${rel}:${ref.line}: ${message}`)
  }

  const checkRelative = (rel: string, zone: Zone, ref: ModuleReference, specifier: string): void => {
    const target = relative(root, resolve(root, dirname(rel), specifier)).split(sep).join('/')
    if (zone.dirs.some(d => target.startsWith(d))) return
    const into = /^packages\/([^/]+)\//.exec(target)?.[1]
    const from = zone.kind === 'top-level' ? `${zone.area}/` : `packages/${zone.pkg}/`
    report(rel, ref, into !== undefined
      ? `${specifier} reaches into packages/${into} from ${from}; import @fedlake/${into} (its public entry) instead`
      : `${specifier} resolves to ${target}, outside ${from}`)
  }

  const checkFedlake = (rel: string, zone: Zone, ref: ModuleReference, specifier: string): void => {
    const q = packageNameOf(specifier).slice('@fedlake/'.length)
    const target = manifests.get(q)
    if (target === undefined) { report(rel, ref, `imports ${specifier}, which is not a package`); return }
    if (!target.exports.has(specifier)) report(rel, ref, `deep import ${specifier}: only ${[...target.exports].join(', ')} are public (package.json "exports")`)
    if (zone.kind === 'top-level') return
    const p = zone.pkg
    const own = manifests.get(p) as Manifest
    const allowed = ALLOWED_EDGES[p]?.imports ?? []
    const name = `@fedlake/${q}`
    if (zone.kind === 'package-code') {
      if (q === p) { report(rel, ref, `imports its own package by name (${specifier}); use a relative import`); return }
      graph.get(p)?.add(q)
      if (!allowed.includes(q)) report(rel, ref, `imports ${name}, but ${p} may import only ${allowed.length > 0 ? allowed.join(', ') : 'no package'} (ALLOWED_EDGES)`)
      else if (own.dependencies[name] === undefined) report(rel, ref, `imports ${name}, which packages/${p}/package.json does not declare in dependencies`)
      return
    }
    if (q === p) return
    const declared = own.dependencies[name] !== undefined || own.devDependencies[name] !== undefined
    if (!allowed.includes(q) && own.devDependencies[name] === undefined) report(rel, ref, `a test of ${p} imports ${name}: neither an allowed edge of ${p} nor a devDependency`)
    else if (!declared) report(rel, ref, `imports ${name}, which packages/${p}/package.json does not declare`)
  }

  const checkLibrary = (rel: string, zone: Zone, ref: ModuleReference, packageName: string): void => {
    for (const seam of SEAMS.filter(s => s.library(packageName))) {
      if (zone.kind === 'package-code') {
        if (!seamAllows(seam, rel)) report(rel, ref, `imports ${packageName}; ${seam.why}`)
      } else if (zone.kind === 'package-test') {
        const own = manifests.get(zone.pkg) as Manifest
        if (!ownsSeam(seam, zone.pkg) && own.devDependencies[packageName] === undefined) {
          report(rel, ref, `imports ${packageName}; ${seam.why} (a test may use it when its package's code may, or when it is a devDependency)`)
        }
      } else if (!TOP_LEVEL_SEAM_EXCEPTIONS.some(e => e.file === rel && packageNameOf(e.library) === packageName)) {
        report(rel, ref, `imports ${packageName}; ${seam.why} (top-level code uses the packages' public entries; list a reasoned exception in TOP_LEVEL_SEAM_EXCEPTIONS)`)
      }
    }
  }

  const checkSpecifier = (rel: string, zone: Zone, ref: ModuleReference, specifier: string): void => {
    if (specifier.startsWith('.') || specifier.startsWith('/')) checkRelative(rel, zone, ref, specifier)
    else if (isBuiltin(specifier)) return
    else if (specifier.startsWith('@fedlake/')) checkFedlake(rel, zone, ref, specifier)
    else checkLibrary(rel, zone, ref, packageNameOf(specifier))
  }

  const files = [...packages.map(p => join(packagesDir, p)), ...TOP_LEVEL_AREAS.map(a => join(root, a))]
    .filter(dir => existsSync(dir))
    .flatMap(dir => walk(dir))
  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/')
    const zone = zoneOf(rel)
    if (zone === undefined) continue
    for (const ref of referencesOf(file)) {
      // outside package code, `new URL('x.js', import.meta.url)` locates a file to spawn, not code to load
      if (ref.kind === 'url' && zone.kind !== 'package-code') continue
      if (ref.specifier !== undefined) {
        checkSpecifier(rel, zone, ref, ref.specifier)
        continue
      }
      if (zone.kind === 'package-code' && (ref.kind === 'dynamic-import' || ref.kind === 'require' || ref.kind === 'resolve') && !ref.allowedDynamic) {
        report(rel, ref, `computed ${ref.kind === 'dynamic-import' ? 'import()' : 'require()'}: its target cannot be checked; use a literal, or mark the line \`// boundaries: allow-dynamic-import <reason>\``)
      }
      // a template whose literal head names a package: check that package
      const head = ref.head ?? ''
      if (/^(@[^/]+\/)?[^./][^/]*\//.test(head)) checkSpecifier(rel, zone, ref, packageNameOf(head))
    }
  }

  KNOWN_VIOLATIONS.forEach((k, i) => {
    if (!knownUsed.has(i)) problems.push(`scripts/check-boundaries.ts: KNOWN_VIOLATIONS lists ${k.file} -> ${k.specifier}, which no longer occurs; remove the entry`)
  })
  for (const cycle of findCycles(graph)) problems.push(`package cycle: ${cycle.map(p => `@fedlake/${p}`).join(' -> ')}`)
  return [...new Set(problems)]
}

function main (): void {
  const at = process.argv.indexOf('--root')
  const root = at >= 0 ? resolve(process.argv[at + 1] ?? '.') : fileURLToPath(new URL('..', import.meta.url))
  const problems = checkBoundaries(root)
  if (problems.length > 0) {
    process.stderr.write(`import boundary violations:\n${problems.map(p => `  ${p}`).join('\n')}\n`)
    process.exit(1)
  }
  process.stdout.write(`import boundaries ok (${Object.keys(ALLOWED_EDGES).length} packages)\n`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main()
