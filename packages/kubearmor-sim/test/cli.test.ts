import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { FEDLAKE_BIN } from '../../../test/helpers/fedlake-bin.js'
import { createClient } from './grpc-client.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const children: ChildProcessWithoutNullStreams[] = []

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

function fedlake (args: string[]): { child: ChildProcessWithoutNullStreams, lines: AsyncIterator<string>, exit: Promise<number | null> } {
  const child = spawn(process.execPath, [FEDLAKE_BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return { child, lines, exit }
}

async function nextLine (lines: AsyncIterator<string>): Promise<string> {
  const { value, done } = await lines.next()
  assert.equal(done, false, 'process ended before printing a line')
  return value as string
}

describe('fedlake kubearmor-sim', () => {
  it('serves exactly --count events, then prints final stats as JSON on SIGTERM', async () => {
    const { child, lines, exit } = fedlake(['kubearmor-sim', '--port', '0', '--count', '100', '--seed', '7', '--cluster', 'edge-a', '--nodes', '3'])
    const ready = await nextLine(lines)
    const match = /^ready kubearmor-sim port=(\d+) .*cluster=edge-a nodes=3 /.exec(ready)
    assert.ok(match, ready)
    const client = createClient(`127.0.0.1:${match[1]!}`)
    try {
      assert.equal(await client.healthCheck(42), 42)
      const logs = client.watch('logs', 'all')
      const alerts = client.watch('alerts', 'all')
      const total = (): number => logs.events.length + alerts.events.length
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`received ${total()} of 100`)), 20_000)
        const check = (): void => { if (total() >= 100) { clearTimeout(timer); resolve() } }
        logs.call.on('data', check)
        alerts.call.on('data', check)
        check()
      })
      child.kill('SIGTERM')
      const final = JSON.parse(await nextLine(lines)) as { stats: { generated: number, sent: number, dropped: number, streams: Record<string, { sent: number }> } }
      assert.equal(await exit, 0)
      assert.equal(final.stats.generated, 100)
      assert.equal(final.stats.sent, 100)
      assert.equal(final.stats.dropped, 0)
      assert.equal(total(), 100, 'exactly 100 events arrived')
      assert.equal(final.stats.streams.logs!.sent, logs.events.length)
      assert.ok([...logs.events, ...alerts.events].every(e => e.ClusterName === 'edge-a'))
    } finally {
      client.close()
    }
  })

  it('prints --help and rejects bad flags with exit code 2', async () => {
    const help = fedlake(['kubearmor-sim', '--help'])
    assert.match(await nextLine(help.lines), /^fedlake kubearmor-sim/)
    assert.equal(await help.exit, 0)
    await Promise.all([['--bogus'], ['--port', 'x'], ['--profile', 'gateway'], ['--wait-for', 'logs,tables'], ['--rate', '-3']].map(async bad => {
      const run = fedlake(['kubearmor-sim', ...bad])
      let stderr = ''
      run.child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      assert.equal(await run.exit, 2, bad.join(' '))
      assert.match(stderr, /^fedlake kubearmor-sim: /)
    }))
  })
})
