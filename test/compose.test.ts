/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the file parses as Compose reads it,
 * every fedlake service runs a command and configuration fedlake itself accepts, the services reach each other
 * by name, and what the files reference exists. test/netns-compose.test.ts runs the same topology.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { fedlakeTopology, interpolate, loadComposeFile } from './helpers/compose-file.js'
import type { ComposeService, FedlakeTopology } from './helpers/compose-file.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const COMPOSE = join(ROOT, 'docker-compose.yml')
const DOCKERFILE = join(ROOT, 'Dockerfile')
const QUERY_REST_PORT = 32349
const GRAFANA_PORT = 3000
/** What the Grafana work provisions (grafana/ at the top level) and where Grafana reads it. */
const GRAFANA_MOUNTS: ReadonlyArray<readonly [string, string]> = [
  ['./grafana/provisioning/datasources/fedlake.yaml', '/etc/grafana/provisioning/datasources/fedlake.yaml'],
  ['./grafana/provisioning/dashboards/fedlake.yaml', '/etc/grafana/provisioning/dashboards/fedlake.yaml'],
  ['./grafana/dashboards', '/var/lib/grafana/dashboards/fedlake']
]

const compose = loadComposeFile(COMPOSE)
const topology = fedlakeTopology(compose)

function queryNode (t: FedlakeTopology = topology): FedlakeTopology['nodes'][number] {
  const queries = t.nodes.filter(n => n.config.roles.includes('query'))
  assert.equal(queries.length, 1, 'one query node')
  return queries[0] as FedlakeTopology['nodes'][number]
}

/** A provisioning file mounted into Grafana: it must exist here (the mount would otherwise create an empty directory). */
function provisioning (source: string): unknown {
  const path = join(ROOT, source)
  assert.ok(existsSync(path), `${source} exists`)
  return parse(readFileSync(path, 'utf8'))
}

function service (name: string): ComposeService {
  const s = compose.services.get(name)
  assert.ok(s, `service ${name}`)
  return s
}

/** Docker's .dockerignore: a path is excluded when it or a parent matches the last matching pattern. */
function dockerignore (text: string): (path: string) => boolean {
  const rules = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#')).map(line => {
    const negate = line.startsWith('!')
    const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '')
    const source = pattern.split(/(\*\*\/|\*\*|\*|\?)/).map(part =>
      part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')
    return { negate, re: new RegExp(`^${source}$`) }
  })
  return path => {
    const parts = path.split('/')
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
    let excluded = false
    for (const rule of rules) if (prefixes.some(p => rule.re.test(p))) excluded = !rule.negate
    return excluded
  }
}

function filesUnder (dir: string): string[] {
  return readdirSync(dir).flatMap(entry => {
    const full = join(dir, entry)
    return statSync(full).isDirectory() ? filesUnder(full) : [full]
  })
}

/** Dockerfile instructions, continuation lines joined. */
function dockerfileInstructions (): Array<{ op: string, args: string }> {
  return readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ').split('\n').map(l => l.trim())
    .filter(l => l !== '' && !l.startsWith('#'))
    .map(l => ({ op: (l.split(/\s+/)[0] ?? '').toUpperCase(), args: l.slice(l.search(/\s/) + 1).trim() }))
}

describe('docker-compose.yml', () => {
  it('is two simulated KubeArmor sources, two operators, a query node and Grafana', () => {
    assert.equal(topology.simulators.length, 2)
    assert.equal(topology.nodes.filter(n => n.config.roles.join() === 'operator').length, 2)
    assert.deepEqual(queryNode().config.roles, ['query'])
    assert.deepEqual(topology.others.map(s => s.name), ['grafana'])
  })

  it('refuses what fedlake would refuse: an unknown FEDLAKE_ variable, a bad value, flags, a bad simulator flag', () => {
    const broken = (edit: (services: Map<string, ComposeService>) => void): string => {
      const services = new Map(compose.services)
      edit(services)
      try {
        fedlakeTopology({ ...compose, services })
      } catch (err) {
        return (err as Error).message
      }
      return ''
    }
    const op = service('operator-1')
    assert.match(broken(s => s.set(op.name, { ...op, environment: { ...op.environment, FEDLAKE_SEED: 'query:32348' } })), /operator-1: FEDLAKE_SEED: no such fedlake setting/)
    assert.match(broken(s => s.set(op.name, { ...op, environment: { ...op.environment, FEDLAKE_KUBEARMOR: 'sim-1' } })), /operator-1: .*kubearmor.*host:port/)
    assert.match(broken(s => s.set(op.name, { ...op, command: ['node', '--seeds', 'query:32348'] })), /operator-1: configure the node with FEDLAKE_\* variables/)
    const sim = service('kubearmor-sim-1')
    assert.match(broken(s => s.set(sim.name, { ...sim, command: [...sim.command, '--rate', 'fast'] })), /kubearmor-sim-1: --rate must be a number/)
  })

  it('builds every fedlake service from the Dockerfile, as one image, for the platform whose DuckDB bindings the lockfile holds', () => {
    const fedlake = [...topology.nodes.map(n => n.service), ...topology.simulators.map(s => s.service)]
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { libc?: string[] }> }
    const glibcBindings = Object.keys(lock.packages).map(p => /^node_modules\/@duckdb\/node-bindings-linux-(\w+)$/.exec(p)?.[1]).filter(a => a !== undefined)
    for (const s of fedlake) {
      assert.deepEqual(s.build, { context: '.', dockerfile: 'Dockerfile' }, s.name)
      assert.ok(existsSync(join(ROOT, s.build?.context ?? '', s.build?.dockerfile ?? '')), 'Dockerfile exists')
      assert.equal(s.image, fedlake[0]?.image, `${s.name}: one image for every fedlake service (Compose builds it once)`)
      assert.equal(s.pullPolicy, 'build', `${s.name}: built from this checkout, never pulled`)
      const arch = { 'linux/amd64': 'x64', 'linux/arm64': 'arm64' }[s.platform ?? '']
      assert.ok(arch !== undefined && glibcBindings.includes(arch), `${s.name}: platform ${s.platform} has DuckDB bindings in the lockfile (${glibcBindings.join(', ')})`)
    }
  })

  it('gives every node its service name as host, its own data volume and FEDLAKE_URL', () => {
    const names = new Set<string>()
    const volumes = new Set<string>()
    for (const { service: s, config } of topology.nodes) {
      assert.equal(config.host, s.name, `${s.name}: binds and advertises the address its service name resolves to`)
      assert.ok(!names.has(config.name), `${s.name}: node name ${config.name} is unique`)
      names.add(config.name)
      const volume = s.volumes.find(v => v.target === config.dataDir)
      assert.ok(volume !== undefined && volume.kind === 'volume' && !volume.readOnly, `${s.name}: ${config.dataDir} is a writable named volume`)
      assert.ok(compose.volumes.includes(volume.source), `${s.name}: volume ${volume.source} is declared`)
      assert.ok(!volumes.has(volume.source), `${s.name}: volume ${volume.source} is its own`)
      volumes.add(volume.source)
      assert.equal(s.environment.FEDLAKE_URL, `http://${config.host}:${config.restPort}`, `${s.name}: FEDLAKE_URL is its REST address (fedlake client, healthcheck)`)
    }
  })

  it('has every operator pull its own simulator and join the query node by name', () => {
    const query = queryNode()
    const simulatorAddresses = topology.simulators.map(({ service: s, init }) => {
      assert.equal(init.host, '0.0.0.0', `${s.name}: reachable from the other containers`)
      return `${s.name}:${init.port ?? 32767}`
    })
    const operators = topology.nodes.filter(n => n.config.roles.includes('operator'))
    assert.deepEqual(operators.flatMap(o => o.config.kubearmor).sort(), [...simulatorAddresses].sort(), 'each simulator pulled by one operator')
    assert.equal(new Set(operators.map(o => o.config.cluster)).size, operators.length, 'one cluster per operator')
    for (const { service: s, config } of topology.nodes) {
      if (s === query.service) continue
      assert.deepEqual(config.seeds, [`${query.service.name}:${query.config.p2pPort}`], `${s.name}: seeds`)
      assert.ok(s.dependsOn[query.service.name] !== undefined, `${s.name}: starts after ${query.service.name}`)
    }
  })

  it('points the operators at a real KubeArmor with KUBEARMOR_1 and KUBEARMOR_2', () => {
    const relay = 'kubearmor.kubearmor.svc.cluster.local:32767'
    const forwarded = '192.168.1.20:32769'
    const real = fedlakeTopology(loadComposeFile(COMPOSE, { KUBEARMOR_1: relay, KUBEARMOR_2: forwarded }))
    assert.deepEqual(real.nodes.find(n => n.service.name === 'operator-1')?.config.kubearmor, [relay])
    assert.deepEqual(real.nodes.find(n => n.service.name === 'operator-2')?.config.kubearmor, [forwarded])
    assert.equal(interpolate('${A:-d} ${B-d} $$C ${A}', { B: '' }), 'd  $C ')
    // a port-forward on the Docker host (docs/operations.md): KUBEARMOR_n=host.docker.internal:<port>
    const raw = parse(readFileSync(COMPOSE, 'utf8')) as { services: Record<string, { extra_hosts?: string[] }> }
    for (const { service: s } of real.nodes.filter(n => n.config.roles.includes('operator'))) {
      assert.ok(raw.services[s.name]?.extra_hosts?.includes('host.docker.internal:host-gateway'), `${s.name} resolves host.docker.internal`)
    }
  })

  it('publishes the query node\'s REST port on 32349 and Grafana on 3000', () => {
    const query = queryNode()
    assert.ok(query.service.ports.some(p => p.hostPort === QUERY_REST_PORT && p.containerPort === query.config.restPort), 'query REST published on 32349')
    const grafana = service('grafana')
    assert.ok(grafana.ports.some(p => p.hostPort === GRAFANA_PORT && p.containerPort === GRAFANA_PORT))
    for (const s of compose.services.values()) {
      if (s !== query.service && s !== grafana) assert.deepEqual(s.ports, [], `${s.name} publishes nothing`)
    }
  })

  it('checks every node\'s and simulator\'s health with node itself, and starts Grafana once the query node is healthy', () => {
    for (const s of [...topology.nodes.map(n => n.service), ...topology.simulators.map(x => x.service)]) {
      assert.equal(s.healthcheck?.kind, 'CMD', `${s.name} has a healthcheck`)
      assert.equal(s.healthcheck?.argv[0], 'node', `${s.name}: the image has node, not curl`)
    }
    for (const { service: s } of topology.nodes) assert.match(s.healthcheck?.argv.join(' ') ?? '', /process\.env\.FEDLAKE_URL/)
    assert.equal(service('grafana').dependsOn[queryNode().service.name], 'service_healthy')
  })

  it('runs Grafana with the simpod JSON datasource and mounts the provisioning and dashboards', () => {
    const grafana = service('grafana')
    assert.match(grafana.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/, 'a pinned Grafana')
    assert.match(grafana.environment.GF_INSTALL_PLUGINS ?? '', /(^|,)simpod-json-datasource( [\d.]+)?(,|$)/)
    const binds = grafana.volumes.filter(v => v.kind === 'bind')
    assert.deepEqual(binds.map(v => [v.source, v.target]), GRAFANA_MOUNTS)
    assert.ok(binds.every(v => v.readOnly), 'provisioning mounted read-only')
  })

  it('mounts Grafana provisioning files that exist and that Grafana accepts: the simpod datasource on the query node, a file provider', () => {
    const grafana = service('grafana')
    const [datasourcesMount, providersMount, dashboardsMount] = GRAFANA_MOUNTS
    assert.ok(datasourcesMount !== undefined && providersMount !== undefined && dashboardsMount !== undefined)
    const datasources = provisioning(datasourcesMount[0]) as { apiVersion?: number, datasources?: Array<Record<string, unknown>> }
    assert.equal(datasources.apiVersion, 1)
    assert.ok(Array.isArray(datasources.datasources) && datasources.datasources.length > 0, 'a datasources list')
    for (const d of datasources.datasources) assert.ok(typeof d.name === 'string' && typeof d.type === 'string', `datasource ${JSON.stringify(d)}: name and type`)
    const fedlake = datasources.datasources.filter(d => d.type === 'simpod-json-datasource')
    assert.equal(fedlake.length, 1, 'one simpod-json-datasource')
    const source = fedlake[0] as { uid?: unknown, url?: unknown, access?: unknown }
    assert.equal(typeof source.uid, 'string', 'a fixed uid the dashboards refer to')
    assert.equal(source.access, 'proxy', 'Grafana\'s server calls the node: a browser could not resolve the service name')
    const url = new URL(interpolate(String(source.url), {}))
    const query = queryNode()
    assert.equal(url.hostname, query.service.name, 'Grafana reaches the query node by its service name')
    assert.equal(Number(url.port), query.config.restPort)
    assert.ok(grafana.dependsOn[url.hostname] !== undefined, 'and starts after it')

    const providers = provisioning(providersMount[0]) as { apiVersion?: number, providers?: Array<{ type?: string, options?: { path?: string } }> }
    assert.equal(providers.apiVersion, 1)
    assert.ok(providers.providers?.some(p => (p.type ?? 'file') === 'file' && p.options?.path === dashboardsMount[1]), `a file provider reads ${dashboardsMount[1]}, where grafana/dashboards is mounted`)
  })

  // The dashboards themselves come with the Grafana work (grafana/dashboards/*.json); checked once they are here.
  it('points every panel of the shipped dashboards, if present, at the provisioned datasource', (t) => {
    const dir = join(ROOT, GRAFANA_MOUNTS[2]?.[0] ?? '')
    if (!existsSync(dir)) { t.diagnostic('grafana/dashboards is not in this checkout yet: only the provisioning files were checked'); return }
    const uids = new Set((provisioning(GRAFANA_MOUNTS[0]?.[0] ?? '') as { datasources: Array<{ uid?: string }> }).datasources.map(d => d.uid))
    const files = readdirSync(dir).filter(f => f.endsWith('.json'))
    assert.ok(files.length > 0, 'grafana/dashboards holds dashboards')
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { uid?: unknown, title?: unknown }
      assert.ok(typeof dashboard.uid === 'string' && typeof dashboard.title === 'string', `${file}: uid and title`)
      const references: unknown[] = []
      JSON.stringify(dashboard, (key, value: unknown) => { if (key === 'datasource') references.push(value); return value })
      for (const ref of references) {
        const uid = typeof ref === 'object' && ref !== null ? (ref as { uid?: string }).uid : ref
        if (typeof uid === 'string' && !uid.startsWith('$') && !uid.startsWith('-- ')) assert.ok(uids.has(uid), `${file}: datasource ${uid} is provisioned`)
      }
    }
  })
})

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions()
  const excluded = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'))

  it('starts from Node 20 on glibc (DuckDB\'s bindings) and runs fedlake as its entrypoint', () => {
    const from = instructions.filter(i => i.op === 'FROM')
    assert.equal(from.length, 1)
    assert.match(from[0]?.args ?? '', /^node:20(\.\d+)*-(bookworm|trixie)(-slim)?$/)
    assert.equal(instructions.find(i => i.op === 'ENTRYPOINT')?.args, '["fedlake"]')
    const workdir = instructions.find(i => i.op === 'WORKDIR')?.args
    const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    assert.ok(instructions.some(i => i.op === 'RUN' && i.args.includes(`ln -s ${workdir}/${bin.fedlake} /usr/local/bin/fedlake`)), 'fedlake on PATH')
    assert.ok(instructions.some(i => i.op === 'USER' && i.args !== 'root'), 'runs as an unprivileged user')
  })

  it('installs from the lockfile with every workspace manifest in place', () => {
    const npmCi = instructions.findIndex(i => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))
    assert.ok(npmCi > 0, 'npm ci')
    const copiedBefore = instructions.slice(0, npmCi).filter(i => i.op === 'COPY').flatMap(i => i.args.split(/\s+/).slice(0, -1))
    const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }
    for (const file of ['package.json', 'package-lock.json', ...workspaces.map(w => `${w}/package.json`)]) {
      assert.ok(copiedBefore.includes(file), `${file} copied before npm ci`)
    }
  })

  it('copies what exists and what .dockerignore lets through, including every source file the image runs', () => {
    const sources = instructions.filter(i => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap(i => i.args.split(/\s+/).slice(0, -1))
    for (const source of sources) {
      assert.ok(existsSync(join(ROOT, source)), `${source} exists`)
      assert.ok(!excluded(source), `${source} is not excluded by .dockerignore`)
    }
    for (const dir of ['packages', 'proto']) assert.ok(sources.includes(dir), `${dir} copied`)
    const runtime = [...filesUnder(join(ROOT, 'packages')).filter(f => /\/packages\/[^/]+\/(src|bin)\//.test(f)), ...filesUnder(join(ROOT, 'proto'))]
    assert.ok(runtime.length > 50)
    const missing = runtime.map(f => relative(ROOT, f)).filter(excluded)
    assert.deepEqual(missing, [], 'no source file the image runs is excluded')
    for (const heavy of ['node_modules', 'packages/core/node_modules', '.git', '.fedlake/data/duckdb/kubearmor.duckdb']) assert.ok(excluded(heavy), `${heavy} stays out of the build context`)
  })
})
