import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createLogger } from '@fedlake/core'
import type { KubeArmorStream, LogLevel } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { SimulatorInit } from '@fedlake/kubearmor-sim'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'

const HELP = `fedlake kubearmor-sim: run a simulated KubeArmor LogService (feeder.LogService over gRPC)

Usage: fedlake kubearmor-sim [options]

Options:
  --port N             port to listen on; 0 picks a free one (default 32767)
  --host H             address to bind (default 127.0.0.1)
  --rate N             events per second over all streams; 0 = as fast as subscribers take them (default 0)
  --count N            generate exactly N events in total, then keep the streams open and idle
  --seed S             seed of the event generator (default 1)
  --nodes K            simulated nodes (default 2)
  --pods M             simulated pods (default 8)
  --cluster NAME       ClusterName of every event (default default)
  --debug              also send Message events, as KubeArmor does with --debug (default off)
  --profile P          relay (default: all nodes on one endpoint, logs queue 10000, remotehost=)
                       or daemon (queues of 1000, keepalive 1 s)
  --queue-size N       per-subscriber queue size for every stream (default from the profile)
  --wait-for LIST      do not generate until these streams (logs,alerts,messages) have a subscriber;
                       default with --count: every stream that gets events; 'none' to disable
  --recycle-after N    re-send the first N events with fresh timestamps (default 20000 unthrottled,
                       0 with --rate)
  --throttle           emulate KubeArmor's alert throttling (alertThrottling=true; default off)
  --max-alerts-per-sec N   throttling threshold per container (default 10; implies --throttle)
  --throttle-sec N     seconds a container's alerts stay suppressed (default 30; implies --throttle)
  --dump FILE          write every sent event as Go-style JSON lines; {stream} in FILE = one file per stream
  --tls-cert FILE      serve the LogService port over TLS with this PEM certificate (chain); needs --tls-key
  --tls-key FILE       PEM private key of --tls-cert
  --tls-client-ca FILE require client certificates signed by this PEM CA (mTLS); needs --tls-cert/--tls-key
                       (default: insecure, as KubeArmor's tlsEnabled=false)
  --health-port N      serve grpc.health.v1 only on this separate plaintext port (KubeArmor since 2026-06
                       uses 32766); 0 picks a free one (default: health on the LogService port)
  --no-health          no grpc.health.v1 service at all
  --reflection         register gRPC server reflection (v1 and v1alpha) on the LogService port
  --no-reflection      do not; default: on with --profile daemon (the daemon registers it), off with relay
  --log-level L        debug|info|warn|error|silent for the JSON log on stderr (default warn)
  -h, --help           show this help

Prints 'ready kubearmor-sim port=<p> ... tls=off|on|mtls health=same-port|separate-port|off
[health_port=<p>] reflection=on|off' on stdout when listening; on SIGINT/SIGTERM it stops and prints
its final statistics as one JSON line.
`

const STREAM_NAMES: readonly KubeArmorStream[] = ['logs', 'alerts', 'messages']
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

function integer (name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, not '${value}'`)
  const n = Number(value)
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}`)
  return n
}

function streamList (value: string | undefined): KubeArmorStream[] | undefined {
  if (value === undefined) return undefined
  if (value === 'none' || value === '') return []
  const streams = value.split(',').map(s => s.trim())
  for (const stream of streams) {
    if (!STREAM_NAMES.includes(stream as KubeArmorStream)) throw new UsageError(`--wait-for: unknown stream '${stream}' (logs, alerts, messages)`)
  }
  return streams as KubeArmorStream[]
}

function readPem (flag: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined
  if (file.trim() === '') throw new UsageError(`--${flag} must name a file`)
  try {
    return readFileSync(file)
  } catch (err) {
    throw new UsageError(`--${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function tlsOptions (v: { 'tls-cert'?: string, 'tls-key'?: string, 'tls-client-ca'?: string }): SimulatorInit['tls'] {
  const certFile = v['tls-cert']
  const keyFile = v['tls-key']
  if (certFile === undefined && keyFile === undefined) {
    if (v['tls-client-ca'] !== undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key')
    return undefined
  }
  if (certFile === undefined) throw new UsageError('--tls-key needs --tls-cert (give both or neither)')
  if (keyFile === undefined) throw new UsageError('--tls-cert needs --tls-key (give both or neither)')
  const cert = readPem('tls-cert', certFile) as Buffer
  const key = readPem('tls-key', keyFile) as Buffer
  const clientCa = readPem('tls-client-ca', v['tls-client-ca'])
  return clientCa === undefined ? { cert, key } : { cert, key, clientCa }
}

export function parseKubearmorSimArgs (argv: string[]): { init: SimulatorInit, logLevel: LogLevel } {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        rate: { type: 'string' },
        count: { type: 'string' },
        seed: { type: 'string' },
        nodes: { type: 'string' },
        pods: { type: 'string' },
        cluster: { type: 'string' },
        debug: { type: 'boolean' },
        profile: { type: 'string' },
        'queue-size': { type: 'string' },
        'wait-for': { type: 'string' },
        'recycle-after': { type: 'string' },
        dump: { type: 'string' },
        throttle: { type: 'boolean' },
        'max-alerts-per-sec': { type: 'string' },
        'throttle-sec': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-client-ca': { type: 'string' },
        'health-port': { type: 'string' },
        'no-health': { type: 'boolean' },
        reflection: { type: 'boolean' },
        'no-reflection': { type: 'boolean' },
        'log-level': { type: 'string' }
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const v = parsed.values
  if (v.profile !== undefined && v.profile !== 'daemon' && v.profile !== 'relay') throw new UsageError(`--profile must be daemon or relay, not '${v.profile}'`)
  if (v.rate !== undefined && !(/^\d+(\.\d+)?$/.test(v.rate))) throw new UsageError(`--rate must be a number >= 0, not '${v.rate}'`)
  const logLevel = (v['log-level'] ?? 'warn') as LogLevel
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
  if (v.cluster !== undefined && v.cluster.trim() === '') throw new UsageError('--cluster must not be empty')
  if (v.host !== undefined && v.host.trim() === '') throw new UsageError('--host must not be empty')
  const maxAlertsPerSec = integer('max-alerts-per-sec', v['max-alerts-per-sec'], 1)
  const throttleSec = integer('throttle-sec', v['throttle-sec'], 1)
  const throttle = v.throttle === true || maxAlertsPerSec !== undefined || throttleSec !== undefined
    ? { ...(maxAlertsPerSec === undefined ? {} : { maxAlertsPerSec }), ...(throttleSec === undefined ? {} : { throttleSec }) }
    : undefined
  if (v.reflection === true && v['no-reflection'] === true) throw new UsageError('--reflection and --no-reflection exclude each other')
  if (v['no-health'] === true && v['health-port'] !== undefined) throw new UsageError('--health-port and --no-health exclude each other')
  const port = integer('port', v.port, 0, 65535)
  const healthPort = integer('health-port', v['health-port'], 0, 65535)
  if (healthPort !== undefined && healthPort !== 0 && healthPort === (port ?? 32767)) throw new UsageError('--health-port must differ from --port')
  const reflection = v.reflection === true ? true : v['no-reflection'] === true ? false : v.profile === 'daemon'
  const seed = v.seed === undefined ? undefined : /^\d+$/.test(v.seed) ? Number(v.seed) : v.seed
  const init: SimulatorInit = {
    host: v.host,
    port,
    rate: v.rate === undefined ? undefined : Number(v.rate),
    count: integer('count', v.count, 0),
    seed,
    nodes: integer('nodes', v.nodes, 1, 10_000),
    pods: integer('pods', v.pods, 0, 100_000),
    cluster: v.cluster,
    debug: v.debug ?? false,
    profile: v.profile as SimulatorInit['profile'],
    queueSize: integer('queue-size', v['queue-size'], 1),
    waitForSubscribers: streamList(v['wait-for']),
    recycleAfter: integer('recycle-after', v['recycle-after'], 0),
    dump: v.dump,
    throttle,
    tls: tlsOptions(v),
    healthService: v['no-health'] !== true,
    healthPort,
    reflection
  }
  return { init, logLevel }
}

export const kubearmorSimCommand: CliCommand = {
  name: 'kubearmor-sim',
  summary: 'run a simulated KubeArmor LogService (gRPC)',
  help: HELP,
  async run (argv) {
    const { init, logLevel } = parseKubearmorSimArgs(argv)
    const logger = createLogger({ level: logLevel, component: 'kubearmor-sim' })
    const simulator = createKubeArmorSimulator({ ...init, logger })
    await simulator.start()
    const s = simulator.stats()
    process.stdout.write(`ready kubearmor-sim port=${simulator.port} address=${simulator.address} profile=${s.profile} cluster=${s.cluster} ` +
      `nodes=${simulator.generator.topology.nodes.length} pods=${simulator.generator.topology.pods.length} ` +
      `rate=${s.rate ?? 'unthrottled'} count=${s.count ?? 'unlimited'} debug=${init.debug === true} ` +
      `tls=${s.tls} health=${s.health}${s.healthPort === null ? '' : ` health_port=${s.healthPort}`} reflection=${s.reflection ? 'on' : 'off'}\n`)

    await new Promise<void>(resolve => {
      const onSignal = (): void => {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        resolve()
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
    })
    await simulator.stop()
    process.stdout.write(JSON.stringify({ stats: simulator.stats() }) + '\n')
    return 0
  }
}
