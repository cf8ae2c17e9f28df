/**
 * Test harness for multi-process tests: spawns `fedlake <sub>` children, waits for their `ready` line,
 * keeps their output for failure messages and makes sure every child is gone when the test ends.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseReadyLine } from '@fedlake/cli'
import { FEDLAKE_BIN } from './fedlake-bin.js'

export { FEDLAKE_BIN }

export interface Child {
  readonly proc: ChildProcessWithoutNullStreams
  /** Fields of the ready line: `ready rest=http://... p2p=...` gives { rest, p2p }. */
  readonly ready: Record<string, string>
  output(): string
  /** Sends the signal and waits for exit; SIGKILL after `graceMs`. Resolves to the exit code (or signal name). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>
}

const live = new Set<ChildProcessWithoutNullStreams>()
process.on('exit', () => { for (const p of live) p.kill('SIGKILL') })

export interface StartOptions {
  readyTimeoutMs?: number
  env?: Record<string, string>
  /** Options for node itself, before the script (e.g. --require a probe, V8 flags). */
  nodeArgs?: string[]
}

/** FEDLAKE_CPU_PROF_DIR=<dir>: every fedlake process a test or benchmark starts writes a CPU profile there on exit. */
function cpuProfileArgs (): string[] {
  const dir = process.env.FEDLAKE_CPU_PROF_DIR
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]
}

export async function startFedlake (args: string[], options: StartOptions = {}): Promise<Child> {
  const proc = spawn(process.execPath, [...cpuProfileArgs(), ...(options.nodeArgs ?? []), FEDLAKE_BIN, ...args], {
    env: { ...process.env, FEDLAKE_LOG_LEVEL: process.env.FEDLAKE_LOG_LEVEL ?? 'warn', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  live.add(proc)
  proc.once('exit', () => { live.delete(proc) })
  return await superviseChild(proc, `fedlake ${args.join(' ')}`, options.readyTimeoutMs ?? 30_000)
}

/**
 * Waits for a spawned `ready ...`-line program (fedlake node, kubearmor-sim) to print its ready line, keeping the
 * tail of its output for error messages; rejects if it exits first or stays silent past `readyTimeoutMs`.
 */
export async function superviseChild (proc: ChildProcessWithoutNullStreams, what: string, readyTimeoutMs: number): Promise<Child> {
  let out = ''
  const exited = new Promise<number | string>(resolve => {
    proc.once('exit', (code, signal) => { resolve(code ?? signal ?? -1) })
  })
  proc.stdout.setEncoding('utf8')
  proc.stderr.setEncoding('utf8')
  proc.stderr.on('data', (d: string) => { out += d; if (out.length > 200_000) out = out.slice(-100_000) })
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => { reject(new Error(`no ready line from ${what} within ${readyTimeoutMs} ms\n${out}`)) }, readyTimeoutMs)
    proc.stdout.on('data', (d: string) => {
      out += d
      buf += d
      // whole lines only: a ready line split across two chunks must not be read half
      const fields = parseReadyLine(buf.slice(0, buf.lastIndexOf('\n') + 1))
      if (fields !== undefined) { clearTimeout(timer); resolve(fields) }
    })
    void exited.then(code => { clearTimeout(timer); reject(new Error(`${what} exited (${code}) before it was ready\n${out}`)) })
  })
  return {
    proc,
    ready,
    output: () => out,
    async stop (signal = 'SIGTERM', graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return await exited
      proc.kill(signal)
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, graceMs)
      try { return await exited } finally { clearTimeout(timer) }
    }
  }
}

export function tempDir (prefix: string): { path: string, remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `fedlake-${prefix}-`))
  return { path, remove: () => { rmSync(path, { recursive: true, force: true }) } }
}

export interface RestReply { status: number, text: string, json(): unknown }

/** One EdgeLake command over REST, as curl would send it. */
export async function restCommand (url: string, command: string, options: { method?: 'GET' | 'POST', headers?: Record<string, string> } = {}): Promise<RestReply> {
  const res = await fetch(url, { method: options.method ?? 'GET', headers: { 'User-Agent': 'AnyLog/1.23', command, ...options.headers } })
  const text = await res.text()
  return { status: res.status, text, json: () => JSON.parse(text) as unknown }
}

/** Runs `sql <dbms> format=json and stat=false "<sql>"` locally on a node and returns the rows. */
export async function localQuery (url: string, dbms: string, sql: string): Promise<Record<string, unknown>[]> {
  const reply = await restCommand(url, `sql ${dbms} format=json and stat=false "${sql}"`)
  if (reply.status !== 200) throw new Error(`query failed (${reply.status}): ${reply.text}`)
  const body = reply.json() as { Query?: Record<string, unknown>[], reply?: string }
  return body.Query ?? []
}
