/**
 * Child processes driven by JSON lines, for multi-process tests and benchmarks. The parent writes requests
 * `{"id":1,"cmd":"...",...args}` to the child's stdin; the child answers `{"id":1,"ok":true,"result":...}` or
 * `{"id":1,"ok":false,"error":{"message":...}}` on stdout. Lines with an `event` key are unsolicited:
 * `ready` once the child is up, any other event goes to the parent's listener. Closing stdin stops the child.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface JsonLinesChildInit {
  /** Names the child in error messages. */
  readonly label: string
  /** TypeScript entry of the child, run from sources through tsx (`--conditions=source`). */
  readonly script: string
  /** Arguments after the script. */
  readonly args: readonly string[]
  readonly cwd: string
  /** Node options before the script (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[]
  /** Default timeout of call(). @default 15000 */
  readonly callTimeoutMs?: number
  /** Unsolicited lines other than `ready` (subclasses may override handleEvent instead). */
  readonly onEvent?: (event: Record<string, unknown>) => void
}

/** The parent side: `ready` resolves with the child's `ready` line. */
export class JsonLinesChild<Ready = Record<string, unknown>> {
  readonly ready: Promise<Ready>
  readonly exited: Promise<number | null>
  readonly label: string
  private readonly child: ChildProcess
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private nextId = 1
  private stderr = ''
  private readonly eventListener: ((event: Record<string, unknown>) => void) | undefined
  private readonly callTimeoutMs: number

  constructor (init: JsonLinesChildInit) {
    this.eventListener = init.onEvent
    this.callTimeoutMs = init.callTimeoutMs ?? 15_000
    const { label } = init
    this.label = label
    this.child = spawn(process.execPath, [...(init.nodeArgs ?? []), '--conditions=source', '--import', 'tsx', init.script, ...init.args], {
      cwd: init.cwd,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-20_000) })
    this.exited = new Promise(resolve => {
      this.child.on('exit', code => {
        for (const p of this.pending.values()) p.reject(new Error(`${label} exited (${String(code)})`))
        this.pending.clear()
        resolve(code)
      })
    })
    this.ready = new Promise((resolve, reject) => {
      createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', line => {
        let msg: Record<string, unknown>
        try { msg = JSON.parse(line) as Record<string, unknown> } catch { return }
        if (msg.event === 'ready') { resolve(msg as Ready); return }
        if (msg.event !== undefined) { this.handleEvent(msg); return }
        const id = msg.id as number
        const p = this.pending.get(id)
        if (p === undefined) return
        this.pending.delete(id)
        if (msg.ok === true) p.resolve(msg.result)
        else p.reject(new Error(`${label}: ${(msg.error as { message: string }).message}`))
      })
      void this.exited.then(code => { reject(new Error(`${label} exited (${String(code)}) before ready: ${this.stderr.slice(-2000)}`)) })
    })
  }

  /** An unsolicited line other than `ready`. */
  protected handleEvent (event: Record<string, unknown>): void {
    this.eventListener?.(event)
  }

  call<T = unknown> (cmd: string, args: Record<string, unknown> = {}, timeoutMs = this.callTimeoutMs): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.label}: '${cmd}' timed out; stderr: ${this.stderr.slice(-1000)}`))
      }, timeoutMs)
      this.pending.set(id, {
        resolve: v => { clearTimeout(timer); resolve(v as T) },
        reject: e => { clearTimeout(timer); reject(e) }
      })
      this.child.stdin?.write(JSON.stringify({ id, cmd, ...args }) + '\n')
    })
  }

  /** Graceful stop (stdin closes); SIGKILL if it does not exit within 5 s. */
  async stop (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.stdin?.end()
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5000)
    await this.exited
    clearTimeout(timer)
  }

  kill (): Promise<number | null> {
    this.child.kill('SIGKILL')
    return this.exited
  }

  get stderrTail (): string {
    return this.stderr.slice(-4000)
  }
}

export interface JsonLinesRequest { readonly id: number, readonly cmd: string, readonly [arg: string]: unknown }

/** Writes one JSON line to stdout (replies and events). */
export function sendLine (message: unknown): void {
  process.stdout.write(JSON.stringify(message) + '\n')
}

/** The child side: answers each request line with `handle`'s result; `onClose` runs when stdin closes. */
export function serveJsonLines (handle: (req: JsonLinesRequest) => Promise<unknown>, onClose: () => void): void {
  const rl = createInterface({ input: process.stdin })
  rl.on('line', line => {
    if (line.trim() === '') return
    const req = JSON.parse(line) as JsonLinesRequest
    handle(req).then(
      result => { sendLine({ id: req.id, ok: true, result: result ?? null }) },
      (err: unknown) => { sendLine({ id: req.id, ok: false, error: { message: (err as Error).message, code: (err as { code?: string }).code } }) }
    )
  })
  rl.on('close', onClose)
}

/** `/ip4/h/tcp/p/p2p/id` → `h:p` (a seed without peer id). */
export function hostPort (multiaddr: string): string {
  const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(multiaddr)
  if (m === null) throw new Error(`not an ip4/tcp multiaddr: ${multiaddr}`)
  return `${m[1] as string}:${m[2] as string}`
}
