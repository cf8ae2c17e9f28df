import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'
import { prepareDemoDir } from '../demo/data-dir.js'
import { demoBanner } from '../demo/examples.js'
import { createNodeSet } from '../demo/processes.js'
import type { RunningNode } from '../demo/processes.js'

const HELP = `Usage: fedlake demo [--operators N] [--rate EVENTS_PER_S] [--rest-port P] [--p2p-port P] [--dir D] [--fresh]

Runs a whole fedlake network on loopback: one simulated KubeArmor source per operator, N operator
nodes pulling them into DuckDB, and one query node. Prints the console and Grafana URLs, example
queries and the metrics URLs; Ctrl-C stops everything (a second Ctrl-C forces).

A second run reuses the data directory: the rows, node keys and metadata of every node are kept
(operators beyond the previous run's get new directories); only the logs rotate (x.log -> x.log.1).

Options:
  --operators N     operator nodes, each with its own KubeArmor simulator and cluster (default 2)
  --rate R          events per second per simulator (default 200)
  --rest-port P     REST port of the query node, 0 = any free port (default 32349)
  --p2p-port P      p2p port of the query node, 0 = any free port (default 32348)
  --dir D           data directory (default .fedlake/demo)
  --fresh           remove the data directory first and start from empty
`

/** Stop requests (Ctrl-C, SIGTERM, SIGHUP): the first stops gracefully, the second forces. */
function onStopSignals (first: () => void, second: () => void): () => void {
  let count = 0
  const handler = (): void => { count++; if (count === 1) first(); else if (count === 2) second() }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, handler)
  return () => { for (const s of signals) process.off(s, handler) }
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run a local network: simulators, operators and a query node',
  help: HELP,
  async run (argv) {
    let values
    try {
      values = parseArgs({ args: argv, options: { operators: { type: 'string' }, rate: { type: 'string' }, 'rest-port': { type: 'string' }, 'p2p-port': { type: 'string' }, dir: { type: 'string' }, fresh: { type: 'boolean' } } }).values
    } catch (err) { throw new UsageError((err as Error).message) }
    const operators = Number(values.operators ?? 2)
    const rate = Number(values.rate ?? 200)
    if (!Number.isInteger(operators) || operators < 1 || operators > 16) throw new UsageError('--operators must be 1..16')
    if (!Number.isFinite(rate) || rate <= 0) throw new UsageError('--rate must be a positive number')
    const dir = resolve(values.dir ?? '.fedlake/demo')
    const prepared = prepareDemoDir(dir, { fresh: values.fresh === true, operators })
    if (!prepared.ok) throw new UsageError(prepared.message)
    const logFile = (name: string): string => join(prepared.logs, `${name}.log`)

    const sims: KubeArmorSimulator[] = []
    const nodeSet = createNodeSet()
    let stopRequested = false
    let forced = false
    let starting = true
    const stopEverything = async (): Promise<void> => {
      await nodeSet.stop()
      for (const sim of sims) await sim.stop()
    }
    let wake = (): void => {}
    const stopSignal = new Promise<void>(resolvePromise => { wake = resolvePromise })
    const disposeSignals = onStopSignals(() => {
      stopRequested = true
      process.stdout.write('stopping the demo network (Ctrl-C again to force)...\n')
      // a node still starting is stopped now, not after it is ready
      if (starting) void nodeSet.stop()
      wake()
    }, () => {
      forced = true
      process.stdout.write('forcing: killing every node\n')
      void nodeSet.kill()
    })

    let query: RunningNode | undefined
    let ops: RunningNode[]
    try {
      query = await nodeSet.start('query-1', ['--roles', 'query', '--rest-port', values['rest-port'] ?? '32349', '--p2p-port', values['p2p-port'] ?? '32348', '--data-dir', join(dir, 'query-1')], logFile('query-1'))
      const seed = (query.ready.p2p ?? '').split(',')[0] ?? ''
      // the operators start side by side (each takes seconds to start); they are listed in index order
      ops = await Promise.all(Array.from({ length: stopRequested ? 0 : operators }, async (_, k) => {
        const i = k + 1
        const sim = createKubeArmorSimulator({ port: 0, rate, seed: i, nodes: 2, pods: 6, cluster: `edge-${i}`, debug: true })
        sims.push(sim)
        await sim.start()
        return await nodeSet.start(`operator-${i}`, [
          '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(dir, `operator-${i}`),
          '--kubearmor', sim.address, '--cluster', `edge-${i}`, '--seeds', seed
        ], logFile(`operator-${i}`))
      }))
    } catch (err) {
      await stopEverything()
      disposeSignals()
      if (stopRequested) return forced ? 130 : 0
      throw err
    }

    starting = false
    for (const n of nodeSet.nodes) {
      void n.exited.then(() => { if (!stopRequested) process.stderr.write(`${n.name} exited unexpectedly (${n.proc.exitCode ?? n.proc.signalCode}); see ${logFile(n.name)}\n`) })
    }
    if (!stopRequested && query !== undefined) {
      const urls = (n: RunningNode): { name: string, rest: string } => ({ name: n.name, rest: n.ready.rest ?? '' })
      process.stdout.write(demoBanner({ query: urls(query), operators: ops.map(urls), rate, dir, logs: prepared.logs, reused: prepared.reused, notStarted: prepared.notStarted }))
      process.stdout.write(`ready rest=${urls(query).rest} operators=${ops.map(o => urls(o).rest).join(',')} dir=${dir}\n`)
    }
    await stopSignal
    await stopEverything()
    disposeSignals()
    process.stdout.write(forced ? 'demo killed\n' : 'demo stopped\n')
    return forced ? 130 : 0
  }
}
