import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'
import { parseReadyLine } from '../ready-line.js'

const HELP = `Usage: fedlake demo [--operators N] [--rate EVENTS_PER_S] [--rest-port P] [--dir D]

Runs a whole fedlake network on loopback: one simulated KubeArmor source per operator, N operator
nodes pulling them into DuckDB, and one query node. Prints where to send queries; Ctrl-C stops it.

Options:
  --operators N     operator nodes, each with its own KubeArmor simulator and cluster (default 2)
  --rate R          events per second per simulator (default 200)
  --rest-port P     REST port of the query node (default 32349)
  --p2p-port P      p2p port of the query node (default 32348)
  --dir D           data directory, wiped at start (default .fedlake/demo)
`

const BIN = fileURLToPath(new URL('../../bin/fedlake.js', import.meta.url))

interface RunningNode { name: string, proc: ChildProcess, ready: Record<string, string> }

function startNode (name: string, args: string[], logFile: string): Promise<RunningNode> {
  const proc = spawn(process.execPath, [BIN, 'node', '--name', name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const log = createWriteStream(logFile)
  proc.stderr?.pipe(log)
  return new Promise((resolvePromise, reject) => {
    let buf = ''
    proc.stdout?.setEncoding('utf8')
    proc.stdout?.on('data', (d: string) => {
      log.write(d)
      buf += d
      const ready = parseReadyLine(buf)
      if (ready !== undefined) resolvePromise({ name, proc, ready })
    })
    proc.once('exit', code => { reject(new Error(`${name} exited with ${code} before it was ready; see ${logFile}`)) })
  })
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run a local network: simulators, operators and a query node',
  help: HELP,
  async run (argv) {
    let values
    try {
      values = parseArgs({ args: argv, options: { operators: { type: 'string' }, rate: { type: 'string' }, 'rest-port': { type: 'string' }, 'p2p-port': { type: 'string' }, dir: { type: 'string' } } }).values
    } catch (err) { throw new UsageError((err as Error).message) }
    const operators = Number(values.operators ?? 2)
    const rate = Number(values.rate ?? 200)
    if (!Number.isInteger(operators) || operators < 1 || operators > 16) throw new UsageError('--operators must be 1..16')
    if (!Number.isFinite(rate) || rate <= 0) throw new UsageError('--rate must be a positive number')
    const dir = resolve(values.dir ?? '.fedlake/demo')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, 'logs'), { recursive: true })

    const sims: KubeArmorSimulator[] = []
    const nodes: RunningNode[] = []
    let stopping = false
    const stopEverything = async (): Promise<void> => {
      stopping = true
      await Promise.all(nodes.map(n => new Promise<void>(done => {
        if (n.proc.exitCode !== null) { done(); return }
        n.proc.once('exit', () => { done() })
        n.proc.kill('SIGTERM')
        setTimeout(() => { n.proc.kill('SIGKILL') }, 15_000).unref()
      })))
      for (const sim of sims) await sim.stop()
    }

    try {
      const query = await startNode('query-1', ['--roles', 'query', '--rest-port', values['rest-port'] ?? '32349', '--p2p-port', values['p2p-port'] ?? '32348', '--data-dir', join(dir, 'query-1')], join(dir, 'logs', 'query-1.log'))
      nodes.push(query)
      const seed = (query.ready.p2p ?? '').split(',')[0] ?? ''
      for (let i = 1; i <= operators; i++) {
        const sim = createKubeArmorSimulator({ port: 0, rate, seed: i, nodes: 2, pods: 6, cluster: `edge-${i}`, debug: true })
        await sim.start()
        sims.push(sim)
        nodes.push(await startNode(`operator-${i}`, [
          '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(dir, `operator-${i}`),
          '--kubearmor', sim.address, '--cluster', `edge-${i}`, '--seeds', seed
        ], join(dir, 'logs', `operator-${i}.log`)))
      }
      for (const n of nodes) {
        n.proc.once('exit', code => { if (!stopping) process.stderr.write(`${n.name} exited unexpectedly (${code}); see ${join(dir, 'logs', `${n.name}.log`)}\n`) })
      }
    } catch (err) {
      await stopEverything()
      throw err
    }

    const queryUrl = nodes[0]?.ready.rest ?? ''
    const op1 = nodes[1]?.ready.rest ?? ''
    const lines = [
      '',
      `fedlake demo is running: ${operators} KubeArmor simulator(s) at ${rate} events/s each, ${operators} operator(s), 1 query node.`,
      '',
      ...nodes.map(n => `  ${n.name.padEnd(12)} REST ${n.ready.rest ?? ''}`),
      '',
      'Query the whole network (every operator answers, the query node merges):',
      `  curl -H 'User-Agent: AnyLog/1.23' -H 'destination: network' -H 'command: sql kubearmor format=table "select operation, count(*) from logs group by operation"' ${queryUrl}`,
      `  npx fedlake client --url ${queryUrl} 'run client () sql kubearmor "select count(*) from alert"'`,
      `  npx fedlake client --url ${queryUrl} "run client () sql kubearmor format=table \\"select increments(minute, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, count(*) as row_count from logs where operation = 'File' group by result order by min_ts\\""`,
      `  npx fedlake client --url ${queryUrl} 'run client () sql kubearmor format=table "select updated_timestamp as timestamp, pod_name as pod, severity, policy_name as policy, action, result from alert where period(minute, 1, now(), timestamp) limit 10"'`,
      '',
      'The metadata and one operator:',
      `  curl -H 'User-Agent: AnyLog/1.23' -H 'command: get data nodes' ${queryUrl}`,
      `  curl -H 'User-Agent: AnyLog/1.23' -H 'command: get grpc client' ${op1}`,
      `  npx fedlake client --url ${queryUrl} 'query explain'`,
      '',
      `Logs: ${join(dir, 'logs')}.  Ctrl-C stops everything.`,
      ''
    ]
    process.stdout.write(lines.join('\n'))
    process.stdout.write(`ready rest=${queryUrl} operators=${nodes.slice(1).map(n => n.ready.rest).join(',')}\n`)

    await new Promise<void>(resolvePromise => {
      const onSignal = (): void => {
        process.stdout.write('stopping the demo network...\n')
        stopEverything().then(resolvePromise, resolvePromise)
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
    })
    return 0
  }
}
