/**
 * Emission rate of `fedlake kubearmor-sim` (unthrottled, separate process) to one fast subscriber
 * (WatchLogs + WatchAlerts on one grpc-js channel), measured after a warm-up.
 *
 *   node --conditions=source --import tsx packages/kubearmor-sim/bench/throughput.ts [--seconds 10] [--decode] [--recycle-after N]
 *
 * Without --decode the client keeps raw bytes (measures the simulator and the transport); with it
 * the client decodes with proto-loader like a plain collector. Prints one JSON line.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import grpc from '@grpc/grpc-js'
import { logServiceDefinition } from '@fedlake/kubearmor-sim'

const { values } = parseArgs({ options: { seconds: { type: 'string' }, decode: { type: 'boolean' }, 'recycle-after': { type: 'string' } } })
const seconds = Number(values.seconds ?? 10)
const warmupSeconds = 3
const root = fileURLToPath(new URL('../../..', import.meta.url))
const simArgs = ['packages/cli/bin/fedlake.js', 'kubearmor-sim', '--port', '0', '--log-level', 'silent']
if (values['recycle-after'] !== undefined) simArgs.push('--recycle-after', values['recycle-after'])

const child = spawn(process.execPath, simArgs, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
const ready = (await lines.next()).value as string
const port = /port=(\d+)/.exec(ready)?.[1]
if (port === undefined) throw new Error(`unexpected first line: ${ready}`)

const definition = logServiceDefinition()
const service: Record<string, unknown> = { ...definition }
if (values.decode !== true) {
  for (const method of ['WatchLogs', 'WatchAlerts']) service[method] = { ...(definition[method] as object), responseDeserialize: (b: Buffer) => b }
}
const Client = grpc.makeGenericClientConstructor(service as grpc.ServiceDefinition, 'LogService')
const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
let received = 0
for (const method of ['WatchLogs', 'WatchAlerts']) {
  const call = (client as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<unknown>>)[method]!({ Filter: 'all' })
  call.on('data', () => { received++ })
  call.on('error', () => { /* ends when the simulator stops */ })
}

await new Promise(resolve => setTimeout(resolve, warmupSeconds * 1000))
const mark = received
const started = performance.now()
await new Promise(resolve => setTimeout(resolve, (seconds - warmupSeconds) * 1000))
const steady = (received - mark) / ((performance.now() - started) / 1000)
client.close()
child.kill('SIGINT')
const final = JSON.parse((await lines.next()).value as string) as { stats: { generated: number, sent: number, dropped: number } }
process.stdout.write(JSON.stringify({
  client: values.decode === true ? 'proto-loader decode' : 'raw bytes',
  seconds,
  received,
  steadyEventsPerSecond: Math.round(steady),
  simulator: { generated: final.stats.generated, sent: final.stats.sent, dropped: final.stats.dropped }
}) + '\n')
