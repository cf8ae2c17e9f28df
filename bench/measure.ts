/** Figures the benchmarks share: percentiles, millisecond formatting, alternating timing, and a process's RSS and CPU from /proc. */
import { readFileSync } from 'node:fs'

export function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}

export function fmt (ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)
}

/** Runs `a` and `b` alternately (`warmup` rounds first), so both see the same machine: load on these shared cores moves. */
export async function timedSideBySide (runs: number, a: () => Promise<void>, b: () => Promise<void>, warmup = 5): Promise<[number[], number[]]> {
  for (let i = 0; i < warmup; i++) { await a(); await b() }
  const times: [number[], number[]] = [[], []]
  for (let i = 0; i < runs; i++) {
    for (const [k, run] of [a, b].entries()) {
      const started = performance.now()
      await run()
      times[k]?.push(performance.now() - started)
    }
  }
  return times
}

/** Resident memory of a process in MB (Linux /proc; NaN elsewhere or once it is gone). */
export function rssMb (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Math.round(Number(m[1]) / 1024)
  } catch {
    return NaN
  }
}

/** CPU ms a process has used so far, all its threads (Linux /proc; 0 elsewhere or once it is gone). */
export function processCpuMs (pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10 // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0
  }
}
