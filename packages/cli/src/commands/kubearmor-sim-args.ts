/**
 * The flags of `fedlake kubearmor-sim`, parsed into the simulator's options. Kept apart from the command so
 * that reading them (the compose file's test does) does not load the simulator and gRPC.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { KubeArmorStream, LogLevel } from '@fedlake/core'
import type { SimulatorInit } from '@fedlake/kubearmor-sim'
import { UsageError } from '../command.js'

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
