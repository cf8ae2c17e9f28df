/**
 * Enforces the package graph and the "heavy library behind one seam" rule of design.md §2:
 * - a package imports another fedlake package only if it declares it, and only its public entry points;
 * - libp2p only in packages/metadata, DuckDB only in packages/operator/src/storage,
 *   fastify only in http modules, gRPC only in the KubeArmor connector/simulator and the node-to-node transport;
 * - no cycles between packages.
 * Exits 1 listing every violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const packagesDir = join(root, 'packages')

interface Seam { readonly pattern: RegExp, readonly allowed: RegExp, readonly why: string }
const SEAMS: readonly Seam[] = [
  { pattern: /^(libp2p|@libp2p\/|@chainsafe\/|@multiformats\/)/, allowed: /^packages\/metadata\/src\//, why: 'libp2p lives only in packages/metadata' },
  { pattern: /^@duckdb\//, allowed: /^packages\/(duckdb\/src\/|operator\/src\/storage\/)/, why: 'DuckDB lives only in packages/duckdb and packages/operator/src/storage' },
  { pattern: /^(fastify|@fastify\/)/, allowed: /^packages\/[^/]+\/src\/http\//, why: 'fastify lives only in */src/http' },
  { pattern: /^@grpc\//, allowed: /^packages\/(kubearmor-sim\/src\/|operator\/src\/transport\/|query\/src\/transport\/)/, why: 'grpc-js lives only in the KubeArmor simulator and the node-to-node transport (the connector speaks gRPC over node:http2)' }
]

function walk (dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue
    const full = join(dir, entry)
    if (statSync(full).isDirectory()) walk(full, out)
    else if (full.endsWith('.ts')) out.push(full)
  }
  return out
}

function seamViolations (rel: string, spec: string): string[] {
  return SEAMS.filter(seam => seam.pattern.test(spec) && !seam.allowed.test(rel)).map(seam => `${rel}: imports ${spec}; ${seam.why}`)
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g

const problems: string[] = []
const graph = new Map<string, Set<string>>()
const exportsOf = new Map<string, Set<string>>()

for (const pkg of readdirSync(packagesDir)) {
  const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as { name: string, dependencies?: Record<string, string>, exports?: Record<string, string> }
  exportsOf.set(manifest.name, new Set(Object.keys(manifest.exports ?? { '.': '' }).map(k => k === '.' ? manifest.name : `${manifest.name}/${k.slice(2)}`)))
  graph.set(manifest.name, new Set(Object.keys(manifest.dependencies ?? {}).filter(d => d.startsWith('@fedlake/'))))
}

for (const pkg of readdirSync(packagesDir)) {
  const name = `@fedlake/${pkg}`
  const declared = graph.get(name) ?? new Set()
  for (const file of walk(join(packagesDir, pkg))) {
    const rel = relative(root, file)
    const isSource = rel.startsWith(`packages/${pkg}/src/`)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? ''
      if (spec.startsWith('@fedlake/')) {
        const target = spec.split('/').slice(0, 2).join('/')
        if (target === name && isSource) { problems.push(`${rel}: imports its own package by name (${spec}); use a relative import`); continue }
        if (isSource && !declared.has(target)) problems.push(`${rel}: imports ${spec} but ${name} does not declare ${target}`)
        if (exportsOf.get(target)?.has(spec) !== true) problems.push(`${rel}: deep import ${spec} is not a public entry point of ${target}`)
      } else if (spec.startsWith('.')) {
        if (spec.includes('/packages/') || /\.\.\/\.\.\/\.\.\/packages\//.test(spec)) problems.push(`${rel}: relative import into another package (${spec})`)
      } else if (isSource) {
        problems.push(...seamViolations(rel, spec))
      }
    }
  }
}

// cycles between packages
const state = new Map<string, 'visiting' | 'done'>()
function visit (node: string, path: string[]): void {
  if (state.get(node) === 'done') return
  if (state.get(node) === 'visiting') { problems.push(`package cycle: ${[...path, node].join(' -> ')}`); return }
  state.set(node, 'visiting')
  for (const next of graph.get(node) ?? []) visit(next, [...path, node])
  state.set(node, 'done')
}
for (const node of graph.keys()) visit(node, [])

if (problems.length > 0) {
  process.stderr.write(`import boundary violations:\n${problems.map(p => `  ${p}`).join('\n')}\n`)
  process.exit(1)
}
process.stdout.write(`import boundaries ok (${graph.size} packages)\n`)
