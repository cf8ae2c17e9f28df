/**
 * What a kill -9 loses: an operator process ingests from a simulator running in this process, is killed with
 * SIGKILL, and is started again on the same data directory (without sources) to count what was committed.
 * KubeArmor does not replay, so every event the simulator handed to the operator and the restarted operator does
 * not hold is lost. Shared by test/ingest-kill9.test.ts and bench/kill9.bench.ts.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from '@fedlake/core'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { localQuery, startFedlake } from './processes.js'
import type { Child } from './processes.js'

const TABLES = ['logs', 'alert', 'message', 'rejects'] as const
/** The ingest rate is taken over this much time before the kill (what the pipeline measures its commit rate over). */
const RATE_WINDOW_MS = 10_000
const SAMPLE_MS = 100

export interface KillRestartInit {
  readonly sim: KubeArmorSimulator
  /** A directory of the caller's: the operator's data directory and config file go there. */
  readonly dir: string
  /** `ingest` settings of the operator (written to a config file). */
  readonly ingest?: Record<string, unknown>
  /** Called every 100 ms once events flow; true kills the operator. */
  readonly killWhen: (progress: { readonly elapsedMs: number, readonly delivered: number }) => boolean
  /** Gives up on a round after this long. @default 120000 */
  readonly timeoutMs?: number
}

export interface KillRound {
  /** From the first event the operator received until the kill. */
  readonly ranMs: number
  /** Events the simulator handed to the operator (written to its streams) during the round. */
  readonly delivered: number
  /** Rows the restarted operator holds that this round added. */
  readonly committed: number
  readonly lost: number
  /** Events per second handed to the operator over the last 10 s before the kill. */
  readonly rate: number
  /** lost / rate: the loss in seconds of ingest. */
  readonly lostSeconds: number
  /** Events the simulator dropped for the operator during the round (its queue was full). */
  readonly sourceDropped: number
}

export interface KillRestart {
  /** One round: start with the simulator as source, kill -9 when killWhen says so, restart and count. `ingest` replaces the settings for this round. */
  round(ingest?: Record<string, unknown>): Promise<KillRound>
  /** Stops whatever operator process is still running. */
  close(): Promise<void>
}

export function killRestart (init: KillRestartInit): KillRestart {
  const configFile = join(init.dir, 'config.json')
  const configure = (ingest: Record<string, unknown>): void => { writeFileSync(configFile, JSON.stringify({ ingest })) }
  configure(init.ingest ?? {})
  const common = ['node', '--roles', 'operator', '--name', 'op-kill9', '--rest-port', '0', '--p2p-port', '0',
    '--data-dir', join(init.dir, 'data'), '--config', configFile]
  let committedTotal = 0
  let running: Child | undefined

  const start = async (args: string[]): Promise<Child> => {
    running = await startFedlake([...common, ...args])
    return running
  }

  const committedRows = async (): Promise<number> => {
    const child = await start([])
    try {
      let rows = 0
      for (const table of TABLES) {
        try {
          const result = await localQuery(child.ready.rest ?? '', 'kubearmor', `select count(*) as n from ${table}`)
          rows += Number(result[0]?.n ?? 0)
        } catch (err) {
          if (!(err as Error).message.includes('SQL_UNKNOWN_TABLE')) throw err
        }
      }
      return rows
    } finally {
      await child.stop()
      running = undefined
    }
  }

  return {
    async round (ingest) {
      const { sim } = init
      configure(ingest ?? init.ingest ?? {})
      const sentAtStart = sim.stats().sent
      const droppedAtStart = sim.stats().dropped
      const child = await start(['--kubearmor', sim.address])
      await waitFor(() => sim.stats().sent > sentAtStart, { what: 'events flowing to the operator', timeoutMs: 30_000, intervalMs: 10 })
      const firstAt = performance.now()
      const samples: Array<{ at: number, sent: number }> = []
      await waitFor(() => {
        const at = performance.now()
        const sent = sim.stats().sent
        samples.push({ at, sent })
        while (samples.length > 2 && at - (samples[1] as { at: number }).at >= RATE_WINDOW_MS) samples.shift()
        return init.killWhen({ elapsedMs: at - firstAt, delivered: sent - sentAtStart })
      }, { what: 'the moment to kill', timeoutMs: init.timeoutMs ?? 120_000, intervalMs: SAMPLE_MS })
      const killedAt = performance.now()
      await child.stop('SIGKILL')
      running = undefined
      // the simulator may still hand a few messages to the dead connection until it notices; they count as delivered
      await waitFor(() => sim.stats().subscribers === 0, { what: 'the simulator to drop the killed subscriber', timeoutMs: 10_000 })
      const after = sim.stats()
      const oldest = samples[0] as { at: number, sent: number }
      const newest = samples[samples.length - 1] as { at: number, sent: number }
      const rate = newest.at > oldest.at ? (newest.sent - oldest.sent) * 1000 / (newest.at - oldest.at) : 0
      const delivered = after.sent - sentAtStart
      const total = await committedRows()
      const committed = total - committedTotal
      committedTotal = total
      const lost = delivered - committed
      return {
        ranMs: killedAt - firstAt,
        delivered,
        committed,
        lost,
        rate,
        lostSeconds: rate > 0 ? lost / rate : Number.POSITIVE_INFINITY,
        sourceDropped: after.dropped - droppedAtStart
      }
    },

    async close () {
      await running?.stop('SIGKILL')
      running = undefined
    }
  }
}
