/**
 * Linux network namespaces as the hosts of multi-host tests: one namespace per host, each with one address on
 * a bridge in the test's own namespace (which reaches them all), and an /etc/hosts resolving every host name
 * (`ip netns exec` mounts /etc/netns/<namespace>/hosts over /etc/hosts), as Docker's DNS resolves compose
 * service names. Needs root and iproute2.
 *
 * Names carry a per-run id (the creating process's pid, base 36, and two random characters), so parallel runs
 * do not collide; `createNetnsNetwork` first removes what runs whose process is gone left behind.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { superviseChild } from './processes.js'
import type { Child } from './processes.js'

const NAMESPACE_PREFIX = 'fedlake-'
const BRIDGE_PREFIX = 'fl-br-'
const VETH_PREFIX = 'fl-v'
/** A run id: the pid in base 36 (at most 5 characters: Linux pids stay below 2^22) and two random characters. */
const RUN_ID = /^([0-9a-z]{3,9})(?:-|$)/
const ETC_NETNS = '/etc/netns'

export interface NetnsHost {
  /** The host name every namespace resolves. */
  readonly name: string
  readonly namespace: string
  readonly address: string
  /** The host side of its veth pair, on the bridge: setting it down cuts the host off (no FIN, no RST). */
  readonly veth: string
}

export interface NetnsNetwork {
  readonly runId: string
  /** This process's address on the bridge. */
  readonly gateway: string
  readonly hosts: ReadonlyMap<string, NetnsHost>
  address(name: string): string
  /** Starts `argv` inside the host's namespace (argv[0] an absolute path or on PATH). */
  spawn(name: string, argv: readonly string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams
  /** Runs `argv` inside the host's namespace to its end. */
  run(name: string, argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<{ code: number | string, stdout: string, stderr: string }>
  /** Cuts the host off the network (its link down: packets vanish, connections hang) or connects it again. */
  setLink(name: string, up: boolean): void
  /** Kills what still runs in the namespaces, removes them, the bridge and the hosts files. Idempotent. */
  destroy(): void
}

function ip (...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? ''
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || (err as Error).message}`, { cause: err })
  }
}

/** Why network namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailableReason (): string | undefined {
  const uid = process.getuid?.()
  if (uid !== 0) return `they need root, and this process runs as uid ${uid ?? 'unknown'}`
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' })
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'they need the ip command (Debian: apt-get install iproute2), and it is not on PATH'
      : `'ip netns list' failed: ${(err as Error).message}`
  }
  return undefined
}

/** Throws a message saying what is missing: these tests fail rather than skip where they cannot run. */
export function requireNetns (): void {
  const reason = netnsUnavailableReason()
  if (reason !== undefined) throw new Error(`network namespace tests cannot run: ${reason}. CI runs them as root with iproute2 (.ci/run installs it).`)
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function pidOfRun (runId: string): number {
  return parseInt(runId.slice(0, -2), 36)
}

function namespaceNames (): string[] {
  return ip('netns', 'list').split('\n').map(line => line.split(' ')[0] ?? '').filter(n => n.length > 0)
}

function killProcessesIn (namespace: string): void {
  let pids: string[]
  try { pids = ip('netns', 'pids', namespace).split('\n').filter(p => /^\d+$/.test(p)) } catch { return }
  for (const pid of pids) {
    try { process.kill(Number(pid), 'SIGKILL') } catch { /* already gone */ }
  }
}

function removeNamespace (namespace: string): void {
  killProcessesIn(namespace)
  try { ip('netns', 'del', namespace) } catch { /* already gone */ }
  rmSync(join(ETC_NETNS, namespace), { recursive: true, force: true })
}

function removeLink (name: string): void {
  try { ip('link', 'del', name) } catch { /* already gone */ }
}

/** Removes the namespaces, hosts files and bridges of earlier runs whose process no longer exists. */
export function removeStaleNetworks (): string[] {
  const removed: string[] = []
  const runOf = (name: string, prefix: string): string | undefined => name.startsWith(prefix) ? RUN_ID.exec(name.slice(prefix.length))?.[1] : undefined
  const stale = (runId: string | undefined): runId is string => runId !== undefined && !alive(pidOfRun(runId))
  for (const namespace of namespaceNames()) {
    if (stale(runOf(namespace, NAMESPACE_PREFIX))) { removeNamespace(namespace); removed.push(namespace) }
  }
  if (existsSync(ETC_NETNS)) {
    for (const entry of readdirSync(ETC_NETNS)) {
      if (stale(runOf(entry, NAMESPACE_PREFIX))) { rmSync(join(ETC_NETNS, entry), { recursive: true, force: true }); removed.push(join(ETC_NETNS, entry)) }
    }
  }
  for (const line of ip('-o', 'link', 'show', 'type', 'bridge').split('\n')) {
    const bridge = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1]
    if (bridge !== undefined && stale(runOf(bridge, BRIDGE_PREFIX))) { removeLink(bridge); removed.push(bridge) }
  }
  return removed
}

/** A 10.x.y.0/24 that no interface of this host uses. */
function freeSubnet (): string {
  const used = ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show')
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`
    if (!used.includes(`${subnet}.`)) return subnet
  }
  throw new Error('no free 10.x.y.0/24 subnet for the test network')
}

const liveNetworks = new Set<NetnsNetwork>()
process.on('exit', () => { for (const network of liveNetworks) network.destroy() })

/** One namespace per name, all on one bridge; `names` must be valid host names. */
export function createNetnsNetwork (names: readonly string[]): NetnsNetwork {
  requireNetns()
  removeStaleNetworks()
  const runId = `${process.pid.toString(36)}${randomInt(36 * 36).toString(36).padStart(2, '0')}`
  const bridge = `${BRIDGE_PREFIX}${runId}`
  const subnet = freeSubnet()
  const gateway = `${subnet}.1`
  const hosts = new Map(names.map((name, i) => [name, { name, namespace: `${NAMESPACE_PREFIX}${runId}-${name}`, address: `${subnet}.${10 + i}`, veth: `${VETH_PREFIX}${runId}${i}` }]))
  let destroyed = false

  const network: NetnsNetwork = {
    runId,
    gateway,
    hosts,
    address (name) {
      const host = hosts.get(name)
      if (host === undefined) throw new Error(`no host ${name} in the test network`)
      return host.address
    },
    spawn (name, argv, env) {
      const host = hosts.get(name)
      if (host === undefined) throw new Error(`no host ${name} in the test network`)
      // ip netns exec execs the command itself: the child's pid is the command's, so signals reach it.
      return spawn('ip', ['netns', 'exec', host.namespace, ...argv], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    },
    async run (name, argv, env, timeoutMs = 30_000) {
      const proc = network.spawn(name, argv, env)
      let stdout = ''
      let stderr = ''
      proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d })
      proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
      proc.stdin.end()
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
      const code = await new Promise<number | string>(resolve => { proc.once('exit', (c, signal) => { resolve(c ?? signal ?? -1) }) })
      clearTimeout(timer)
      return { code, stdout, stderr }
    },
    setLink (name, up) {
      const host = hosts.get(name)
      if (host === undefined) throw new Error(`no host ${name} in the test network`)
      ip('link', 'set', host.veth, up ? 'up' : 'down')
    },
    destroy () {
      if (destroyed) return
      destroyed = true
      liveNetworks.delete(network)
      for (const host of hosts.values()) removeNamespace(host.namespace)
      removeLink(bridge)
    }
  }
  liveNetworks.add(network)

  const hostsFile = ['127.0.0.1 localhost', '::1 localhost', ...[...hosts.values()].map(h => `${h.address} ${h.name}`), ''].join('\n')
  try {
    ip('link', 'add', bridge, 'type', 'bridge')
    ip('addr', 'add', `${gateway}/24`, 'dev', bridge)
    ip('link', 'set', bridge, 'up')
    for (const host of hosts.values()) {
      const veth = host.veth
      ip('netns', 'add', host.namespace)
      mkdirSync(join(ETC_NETNS, host.namespace), { recursive: true })
      writeFileSync(join(ETC_NETNS, host.namespace, 'hosts'), hostsFile)
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.namespace)
      ip('link', 'set', veth, 'master', bridge, 'up')
      ip('-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0')
      ip('-n', host.namespace, 'link', 'set', 'eth0', 'up')
      ip('-n', host.namespace, 'link', 'set', 'lo', 'up')
    }
  } catch (err) {
    network.destroy()
    throw err
  }
  return network
}

/** What of this run is still on the host: namespaces, hosts-file directories, the bridge. */
export function leftovers (network: NetnsNetwork): string[] {
  const namespaces = new Set(namespaceNames())
  const out: string[] = []
  for (const host of network.hosts.values()) {
    if (namespaces.has(host.namespace)) out.push(`namespace ${host.namespace}`)
    if (existsSync(join(ETC_NETNS, host.namespace))) out.push(join(ETC_NETNS, host.namespace))
  }
  if (ip('-o', 'link', 'show').includes(`${BRIDGE_PREFIX}${network.runId}:`)) out.push(`bridge ${BRIDGE_PREFIX}${network.runId}`)
  return out
}

/**
 * Starts a `ready ...`-line program (fedlake node, kubearmor-sim) in a host's namespace and waits for the line;
 * the same contract as processes.ts's startFedlake.
 */
export async function startInNamespace (network: NetnsNetwork, name: string, argv: readonly string[], env: NodeJS.ProcessEnv, readyTimeoutMs = 90_000): Promise<Child> {
  return await superviseChild(network.spawn(name, argv, env), `${name}: ${argv.slice(2).join(' ')}`, readyTimeoutMs)
}
