/**
 * Reads docker-compose.yml as Docker Compose does, for the tests that check it and run its topology without a
 * Docker engine: YAML (anchors and aliases), `${VAR:-default}` interpolation, and the short and long forms of
 * command, environment, volumes, ports, depends_on and healthcheck that the file may use.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { parseKubearmorSimArgs } from '@fedlake/cli'
import { ENV_KEYS, loadNodeConfig } from '@fedlake/core'
import type { NodeConfig } from '@fedlake/core'

export interface VolumeMount {
  readonly kind: 'volume' | 'bind'
  /** Named volume, or the bind mount's host path as written (relative to the compose file). */
  readonly source: string
  readonly target: string
  readonly readOnly: boolean
}

export interface PortMapping {
  readonly hostIp?: string
  readonly hostPort: number
  readonly containerPort: number
}

export interface Healthcheck {
  /** `CMD`: argv run in the container; `CMD-SHELL`: one shell command line. */
  readonly kind: 'CMD' | 'CMD-SHELL'
  readonly argv: readonly string[]
}

export interface ComposeService {
  readonly name: string
  readonly image?: string
  readonly build?: { readonly context: string, readonly dockerfile: string }
  readonly pullPolicy?: string
  readonly platform?: string
  /** The arguments after the image's entrypoint; empty when the service keeps the image's CMD. */
  readonly command: readonly string[]
  readonly environment: Readonly<Record<string, string>>
  readonly volumes: readonly VolumeMount[]
  readonly ports: readonly PortMapping[]
  /** Service → condition (service_started, service_healthy, ...). */
  readonly dependsOn: Readonly<Record<string, string>>
  readonly healthcheck?: Healthcheck
}

export interface ComposeFile {
  readonly services: ReadonlyMap<string, ComposeService>
  /** Named volumes declared at the top level. */
  readonly volumes: readonly string[]
}

type Variables = Readonly<Record<string, string | undefined>>

/** Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
export function interpolate (text: string, variables: Variables): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$'
      const name = (braced ?? bare) as string
      const value = variables[name]
      const missing = operator?.startsWith(':') === true ? value === undefined || value === '' : value === undefined
      if (operator === undefined || !missing) return value ?? ''
      if (operator.endsWith('?')) throw new Error(`compose: ${name} is required: ${argument ?? ''}`)
      return argument ?? ''
    })
}

function interpolateAll (value: unknown, variables: Variables): unknown {
  if (typeof value === 'string') return interpolate(value, variables)
  if (Array.isArray(value)) return value.map(v => interpolateAll(v, variables))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, variables)]))
  }
  return value
}

function record (value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`compose: ${what} must be a mapping`)
  return value as Record<string, unknown>
}

function argvOf (value: unknown, what: string): string[] {
  if (value === undefined || value === null) return []
  // A string command would be split by Compose's shell-like rules; the file uses lists so nothing is ambiguous.
  if (!Array.isArray(value)) throw new Error(`compose: ${what} must be a list of arguments`)
  return value.map(String)
}

function environmentOf (value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(value)) {
    for (const entry of value.map(String)) {
      const eq = entry.indexOf('=')
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1)
    }
    return out
  }
  // A key without a value takes the caller's environment in Compose: it is unset here.
  for (const [k, v] of Object.entries(record(value, 'environment'))) if (v !== null && v !== undefined) out[k] = String(v)
  return out
}

function volumeOf (value: unknown): VolumeMount {
  if (typeof value === 'string') {
    const [source = '', target, mode] = value.split(':')
    if (target === undefined) return { kind: 'volume', source: '', target: source, readOnly: false }
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~')
    return { kind: bind ? 'bind' : 'volume', source, target, readOnly: mode?.split(',').includes('ro') === true }
  }
  const v = record(value, 'volume')
  return { kind: v.type === 'bind' ? 'bind' : 'volume', source: String(v.source ?? ''), target: String(v.target), readOnly: v.read_only === true }
}

function portOf (value: unknown): PortMapping {
  if (typeof value === 'object' && value !== null) {
    const p = value as Record<string, unknown>
    return { ...(p.host_ip !== undefined ? { hostIp: String(p.host_ip) } : {}), hostPort: Number(p.published), containerPort: Number(p.target) }
  }
  const parts = String(value).replace(/\/(tcp|udp)$/, '').split(':')
  const containerPort = Number(parts.pop())
  const hostPort = Number(parts.pop() ?? containerPort)
  return { ...(parts.length > 0 ? { hostIp: parts.join(':') } : {}), hostPort, containerPort }
}

function dependsOnOf (value: unknown): Record<string, string> {
  if (Array.isArray(value)) return Object.fromEntries(value.map(s => [String(s), 'service_started']))
  return Object.fromEntries(Object.entries(record(value, 'depends_on')).map(([s, v]) => [s, String(record(v, `depends_on.${s}`).condition ?? 'service_started')]))
}

function healthcheckOf (value: unknown): Healthcheck | undefined {
  if (value === undefined || value === null) return undefined
  const test = record(value, 'healthcheck').test
  if (typeof test === 'string') return { kind: 'CMD-SHELL', argv: [test] }
  const [kind, ...argv] = argvOf(test, 'healthcheck.test')
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') throw new Error(`compose: healthcheck.test must start with CMD or CMD-SHELL, not ${kind}`)
  return { kind, argv }
}

function buildOf (value: unknown): ComposeService['build'] {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return { context: value, dockerfile: 'Dockerfile' }
  const b = record(value, 'build')
  return { context: String(b.context ?? '.'), dockerfile: String(b.dockerfile ?? 'Dockerfile') }
}

function serviceOf (name: string, value: unknown): ComposeService {
  const s = record(value, `services.${name}`)
  const healthcheck = healthcheckOf(s.healthcheck)
  const build = buildOf(s.build)
  return {
    name,
    ...(s.image !== undefined ? { image: String(s.image) } : {}),
    ...(build !== undefined ? { build } : {}),
    ...(s.pull_policy !== undefined ? { pullPolicy: String(s.pull_policy) } : {}),
    ...(s.platform !== undefined ? { platform: String(s.platform) } : {}),
    command: argvOf(s.command, `services.${name}.command`),
    environment: environmentOf(s.environment),
    volumes: (Array.isArray(s.volumes) ? s.volumes : []).map(volumeOf),
    ports: (Array.isArray(s.ports) ? s.ports : []).map(portOf),
    dependsOn: dependsOnOf(s.depends_on),
    ...(healthcheck !== undefined ? { healthcheck } : {})
  }
}

/** Parses a compose file; `variables` is the environment Compose would interpolate from (empty: the defaults). */
export function loadComposeFile (path: string, variables: Variables = {}): ComposeFile {
  const raw = record(interpolateAll(parse(readFileSync(path, 'utf8')), variables), path)
  const services = new Map(Object.entries(record(raw.services, 'services')).map(([name, v]) => [name, serviceOf(name, v)]))
  return { services, volumes: Object.keys(record(raw.volumes, 'volumes')) }
}

/** Services in the order Compose starts them: every service after the ones it depends on. */
export function startOrder (compose: ComposeFile, names: readonly string[] = [...compose.services.keys()]): string[] {
  const order: string[] = []
  const visit = (name: string, path: readonly string[]): void => {
    if (order.includes(name)) return
    if (path.includes(name)) throw new Error(`compose: depends_on cycle ${[...path, name].join(' -> ')}`)
    const service = compose.services.get(name)
    if (service === undefined) throw new Error(`compose: unknown service ${name}`)
    for (const dependency of Object.keys(service.dependsOn)) visit(dependency, [...path, name])
    order.push(name)
  }
  for (const name of names) visit(name, [])
  return order
}

export interface NodeService { readonly service: ComposeService, readonly config: NodeConfig }
export interface SimulatorService { readonly service: ComposeService, readonly init: ReturnType<typeof parseKubearmorSimArgs>['init'] }

export interface FedlakeTopology {
  /** Services running `fedlake node`, with the configuration the node builds from them. */
  readonly nodes: readonly NodeService[]
  /** Services running `fedlake kubearmor-sim`, with the simulator options its flags give. */
  readonly simulators: readonly SimulatorService[]
  /** Services of other images (Grafana). */
  readonly others: readonly ComposeService[]
}

/** FEDLAKE_* variables a node's container may carry that are not node settings: `fedlake client`'s address. */
export const CLIENT_VARIABLES: ReadonlySet<string> = new Set(['FEDLAKE_URL'])

/**
 * Reads what each service built from this repository's Dockerfile runs (the image's entrypoint is `fedlake`),
 * through fedlake's own validation: the node's configuration from its FEDLAKE_* variables (loadNodeConfig, as
 * `fedlake node` does) and the simulator's flags (its own parser). Throws naming every problem.
 */
export function fedlakeTopology (compose: ComposeFile): FedlakeTopology {
  const nodes: NodeService[] = []
  const simulators: SimulatorService[] = []
  const others: ComposeService[] = []
  const problems: string[] = []
  for (const service of compose.services.values()) {
    if (service.build === undefined) { others.push(service); continue }
    const [subcommand, ...args] = service.command
    try {
      if (subcommand === 'node') {
        // Flags would be validated by the node command only; the file keeps every setting in FEDLAKE_* variables.
        if (args.length > 0) throw new Error(`configure the node with FEDLAKE_* variables, not flags (${args.join(' ')})`)
        const unknown = Object.keys(service.environment).filter(k => k.startsWith('FEDLAKE_') && ENV_KEYS[k] === undefined && !CLIENT_VARIABLES.has(k))
        if (unknown.length > 0) throw new Error(`${unknown.join(', ')}: no such fedlake setting (docs/configuration.md)`)
        nodes.push({ service, config: loadNodeConfig({ env: service.environment }) })
      } else if (subcommand === 'kubearmor-sim') {
        simulators.push({ service, init: parseKubearmorSimArgs(args).init })
      } else {
        throw new Error(`runs 'fedlake ${service.command.join(' ')}': expected node or kubearmor-sim`)
      }
    } catch (err) {
      problems.push(`${service.name}: ${(err as Error).message}`)
    }
  }
  if (problems.length > 0) throw new Error(`docker-compose.yml: ${problems.join('; ')}`)
  return { nodes, simulators, others }
}
