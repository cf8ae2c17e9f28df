/**
 * The demo's child processes: each node is `fedlake node` in its own process group, so a Ctrl-C in the
 * terminal reaches only the demo, which stops every node exactly once (SIGTERM: the node flushes its ingest
 * buffers to DuckDB and exits) or, on a second Ctrl-C, at once (SIGKILL).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseReadyLine } from '../ready-line.js'

const BIN = fileURLToPath(new URL('../../bin/fedlake.js', import.meta.url))

export interface RunningNode {
  readonly name: string
  readonly proc: ChildProcess
  /** Fields of the node's ready line (`rest`, `p2p`, ...). */
  readonly ready: Record<string, string>
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>
}

export interface NodeSet {
  /** Starts `fedlake node --name <name> ...args`, stdout and stderr to `logFile`; resolves at its ready line. */
  start(name: string, args: string[], logFile: string): Promise<RunningNode>
  readonly nodes: readonly RunningNode[]
  /** SIGTERM to every node still running (each once); resolves when all have exited. */
  stop(): Promise<void>
  /** SIGKILL to every node still running; resolves when all have exited. */
  kill(): Promise<void>
}

export function createNodeSet (): NodeSet {
  const procs: { proc: ChildProcess, exited: Promise<void>, termSent: boolean }[] = []
  const nodes: RunningNode[] = []
  const signalAll = async (signal: NodeJS.Signals): Promise<void> => {
    for (const p of procs) {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) continue
      if (signal === 'SIGTERM' && p.termSent) continue
      p.termSent = true
      p.proc.kill(signal)
    }
    await Promise.all(procs.map(p => p.exited))
  }
  return {
    nodes,
    async start (name, args, logFile) {
      const proc = spawn(process.execPath, [BIN, 'node', '--name', name, ...args], {
        // own process group: a terminal's Ctrl-C reaches only the demo; stdin is our lifeline (the node stops
        // when it ends, so a killed demo leaves no node behind)
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, FEDLAKE_STOP_ON_STDIN_END: '1' }
      })
      const exited = new Promise<void>(resolve => { proc.once('exit', () => { proc.stdin?.destroy(); resolve() }) })
      procs.push({ proc, exited, termSent: false })
      const log = createWriteStream(logFile)
      proc.stderr?.on('data', (d: Buffer) => { log.write(d) })
      proc.once('close', () => { log.end() })
      return await new Promise<RunningNode>((resolve, reject) => {
        let buf: string | undefined = ''
        proc.stdout?.setEncoding('utf8')
        proc.stdout?.on('data', (d: string) => {
          log.write(d)
          if (buf === undefined) return
          buf += d
          const ready = parseReadyLine(buf)
          if (ready === undefined) return
          buf = undefined
          const node = { name, proc, ready, exited }
          nodes.push(node)
          resolve(node)
        })
        proc.once('exit', code => { reject(new Error(`${name} exited with ${code} before it was ready; see ${logFile}`)) })
        proc.once('error', err => { reject(err) })
      })
    },
    stop: async () => { await signalAll('SIGTERM') },
    kill: async () => { await signalAll('SIGKILL') }
  }
}
