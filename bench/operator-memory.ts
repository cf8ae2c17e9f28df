/**
 * Memory of a real operator process (`fedlake node --roles operator`, REST and libp2p included), for
 * bench:ingest part (e): RSS idle (started, empty, no sources, settled) and while and after it ingests N events
 * from a simulator process (peak, and settled once every row is committed), with the V8 heap of each of its
 * isolates (memory-probe.cjs) and the anonymous/file-backed split of the RSS (/proc/<pid>/smaps_rollup).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { restCommand, startFedlake } from '../test/helpers/processes.js'
import type { Child } from '../test/helpers/processes.js'

const PROBE = fileURLToPath(new URL('./memory-probe.cjs', import.meta.url))
const MIB = 1024 * 1024
/** Settled: RSS moved by less than this over SETTLE_WINDOW_MS. */
const SETTLE_BYTES = 2 * MIB
const SETTLE_WINDOW_MS = 5000
const SETTLE_MAX_MS = 60_000
const STALL_MS = 15_000

export interface ThreadHeap {
  readonly thread: string
  readonly heapTotal: number
  readonly heapTotalPeak: number
  readonly heapUsed: number
  readonly newSpace: number
}

export interface ProcessMemory {
  readonly rss: number
  /** RSS of anonymous memory (heaps, malloc) and of mapped files (the node binary, libduckdb.so). */
  readonly anonymous: number
  readonly file: number
  readonly threads: readonly ThreadHeap[]
}

export interface OperatorMemory {
  readonly idle: ProcessMemory
  /** Highest RSS of the loaded process (VmHWM). */
  readonly peakRss: number
  /** When the last of the N events was committed. */
  readonly loaded: ProcessMemory
  readonly settled: ProcessMemory
  /** Events committed per second by the loaded process (from its first to its last commit, as polled). */
  readonly rate: number
  readonly committed: number
}

export interface OperatorMemoryInit {
  readonly events: number
  /** Arguments of `fedlake kubearmor-sim` besides port and count. */
  readonly simArgs: readonly string[]
  /** Extra node options for the operator process (V8 flags to compare). */
  readonly nodeArgs?: readonly string[]
  readonly env?: Record<string, string>
}

function statusKb (pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

function rollupKb (pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

function threadHeaps (probeDir: string, pid: number): ThreadHeap[] {
  const out: ThreadHeap[] = []
  for (const name of readdirSync(probeDir)) {
    if (!name.startsWith(`${pid}-`) || !name.endsWith('.json')) continue
    out.push(JSON.parse(readFileSync(join(probeDir, name), 'utf8')) as ThreadHeap)
  }
  return out.sort((a, b) => a.thread.localeCompare(b.thread))
}

function snapshot (probeDir: string, pid: number): ProcessMemory {
  return { rss: statusKb(pid, 'VmRSS'), anonymous: rollupKb(pid, 'Anonymous'), file: rollupKb(pid, 'Rss') - rollupKb(pid, 'Anonymous'), threads: threadHeaps(probeDir, pid) }
}

async function settle (pid: number): Promise<void> {
  const started = Date.now()
  const samples: Array<{ at: number, rss: number }> = []
  while (Date.now() - started < SETTLE_MAX_MS) {
    const at = Date.now()
    samples.push({ at, rss: statusKb(pid, 'VmRSS') })
    while (samples.length > 1 && at - (samples[1] as { at: number }).at >= SETTLE_WINDOW_MS) samples.shift()
    const first = samples[0] as { at: number, rss: number }
    if (at - first.at >= SETTLE_WINDOW_MS && Math.max(...samples.map(s => s.rss)) - Math.min(...samples.map(s => s.rss)) < SETTLE_BYTES) return
    await new Promise(resolve => setTimeout(resolve, 500))
  }
}

async function committedRows (url: string): Promise<number> {
  const body = (await restCommand(url, 'get streaming where format = json')).json() as Array<Record<string, unknown>>
  return Number(body.find(r => r.DBMS === '*')?.Committed ?? 0)
}

export async function measureOperatorMemory (init: OperatorMemoryInit): Promise<OperatorMemory> {
  const work = mkdtempSync(join(tmpdir(), 'fedlake-bench-memory-'))
  const probeDir = join(work, 'probe')
  const children: Child[] = []
  const operator = async (name: string, extra: string[]): Promise<Child> => {
    const child = await startFedlake(['node', '--roles', 'operator', '--name', name, '--rest-port', '0', '--p2p-port', '0',
      '--data-dir', join(work, name), ...extra], {
      nodeArgs: ['--require', PROBE, ...(init.nodeArgs ?? [])],
      env: { FEDLAKE_MEMORY_PROBE_DIR: probeDir, ...init.env }
    })
    children.push(child)
    return child
  }
  try {
    mkdirSync(probeDir)
    const empty = await operator('idle', [])
    const emptyPid = empty.proc.pid ?? 0
    await settle(emptyPid)
    const idle = snapshot(probeDir, emptyPid)
    await empty.stop()

    const sim = await startFedlake(['kubearmor-sim', '--port', '0', '--count', String(init.events), ...init.simArgs])
    children.push(sim)
    const busy = await operator('loaded', ['--kubearmor', `127.0.0.1:${sim.ready.port ?? ''}`])
    const pid = busy.proc.pid ?? 0
    const url = busy.ready.rest ?? ''
    let first = 0
    let firstRows = 0
    let last = 0
    let committed = 0
    let progressAt = Date.now()
    for (;;) {
      const now = Date.now()
      const rows = await committedRows(url)
      if (rows > committed) {
        if (first === 0) { first = now; firstRows = rows }
        committed = rows
        last = now
        progressAt = now
      }
      if (committed >= init.events || now - progressAt > STALL_MS) break
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    const loaded = snapshot(probeDir, pid)
    await settle(pid)
    const settled = snapshot(probeDir, pid)
    const peakRss = statusKb(pid, 'VmHWM')
    return { idle, peakRss, loaded, settled, rate: last > first ? (committed - firstRows) * 1000 / (last - first) : 0, committed }
  } finally {
    for (const child of children.reverse()) await child.stop()
    rmSync(work, { recursive: true, force: true })
  }
}
