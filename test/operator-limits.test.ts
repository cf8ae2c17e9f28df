/**
 * An operator that no query can crash: a real `fedlake node --roles operator` process with a small memory
 * budget (a 128 MB JavaScript heap and limits.memoryBudgetMb = 128), fed by simulated KubeArmor sources, then
 * queried as a hostile user would. Every result is complete or a clear error; the node keeps serving.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const BULK_EVENTS = 120_000
const LIVE_RATE = 1500
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

interface RawReply {
  status: number
  body: string
  /** The HTTP body ended properly (a cut stream does not). */
  complete: boolean
  ms: number
}

/** A GET with EdgeLake headers over raw HTTP, so an abnormally ended body is seen as such; `slow` reads 64 KiB every `slow` ms. */
async function get (url: string, command: string, headers: Record<string, string> = {}, slow?: number): Promise<RawReply> {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'User-Agent': 'AnyLog/1.23', command, ...headers } }, res => {
      let body = ''
      let settled = false
      const finish = (complete: boolean): void => {
        if (settled) return
        settled = true
        let rest: string | null
        while ((rest = res.read() as string | null) !== null) body += rest
        resolve({ status: res.statusCode ?? 0, body, complete, ms: performance.now() - started })
      }
      res.setEncoding('utf8')
      if (slow === undefined) {
        res.on('data', (chunk: string) => { body += chunk })
      } else {
        res.pause()
        const readSome = (): void => {
          let chunk: string | null
          let read = 0
          while (read < 64 * 1024 && (chunk = res.read() as string | null) !== null) { body += chunk; read += chunk.length }
          if (!res.readableEnded && !settled) setTimeout(readSome, slow)
        }
        res.on('readable', () => undefined)
        setTimeout(readSome, slow)
      }
      res.on('end', () => { finish(true) })
      res.on('aborted', () => { finish(false) })
      res.on('error', () => { finish(false) })
      res.on('close', () => { finish(res.complete) })
    })
    req.on('error', reject)
    req.end()
  })
}

function lines (body: string): Record<string, unknown>[] {
  return body.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, unknown>)
}

describe('an operator under hostile queries, with a small memory budget', { timeout: 300_000 }, () => {
  let bulk: KubeArmorSimulator
  let live: KubeArmorSimulator
  let op: Child
  let url = ''
  let logRows = 0

  before(async () => {
    const dir = tempDir('limits')
    cleanups.push(() => { dir.remove() })
    bulk = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, count: BULK_EVENTS, seed: 7, nodes: 3, pods: 12, mix: { logs: 0.9, alerts: 0.1, messages: 0 } })
    live = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, rate: LIVE_RATE, seed: 8, nodes: 2, pods: 6, mix: { logs: 0.9, alerts: 0.1, messages: 0 } })
    await bulk.start()
    await live.start()
    cleanups.push(async () => { await bulk.stop() }, async () => { await live.stop() })
    const config = join(dir.path, 'config.json')
    // maxReplyBytes above the default share, so a deadline (not the cap) is what cuts the big json replies below
    writeFileSync(config, JSON.stringify({ limits: { memoryBudgetMb: 128, maxReplyBytes: 16 * 1024 * 1024 } }))
    op = await startFedlake(['node', '--config', config, '--roles', 'operator', '--name', 'op-limits', '--rest-port', '0', '--p2p-port', '0',
      '--data-dir', join(dir.path, 'data'), '--kubearmor', `${bulk.address},${live.address}`], { env: { NODE_OPTIONS: '--max-old-space-size=128' } })
    cleanups.push(async () => { await op.stop('SIGKILL') })
    url = op.ready.rest ?? ''
    await bulk.whenCountReached()
    await waitFor(async () => Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n) >= bulk.stats().streams.logs.sent, { timeoutMs: 60_000, intervalMs: 250 })
    logRows = Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n)
  })

  it('streams select * over every log as json:output, complete, while get status answers in under a second', async () => {
    const statusTimes: number[] = []
    let streaming = true
    const poll = (async () => {
      while (streaming) {
        const started = performance.now()
        const reply = await restCommand(url, 'get status')
        assert.equal(reply.status, 200)
        statusTimes.push(performance.now() - started)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    const reply = await get(url, 'sql kubearmor format=json:output "select * from logs where timestamp <= now()"', { timeout: '120' })
    streaming = false
    await poll
    assert.equal(reply.status, 200)
    assert.ok(reply.complete, 'the body ended properly')
    const records = lines(reply.body)
    const last = records.at(-1) as { Statistics?: { Count: number }[] }
    assert.ok(last.Statistics !== undefined, `the stream ends with its statistics, not ${JSON.stringify(last).slice(0, 200)}`)
    assert.ok(records.length - 1 >= logRows, `every row came (${records.length - 1} of at least ${logRows})`)
    assert.equal(last.Statistics[0]?.Count, records.length - 1)
    assert.ok(statusTimes.length >= 3, 'get status was polled during the stream')
    assert.ok(Math.max(...statusTimes) < 1000, `get status answered within 1 s (slowest ${Math.round(Math.max(...statusTimes))} ms)`)
  })

  it('refuses the same select as one json document with a clear 4xx naming the cap and the way out', async () => {
    const small = tempDir('limits-cap')
    cleanups.push(() => { small.remove() })
    const reply = await get(url, 'sql kubearmor format=json "select * from logs"', { timeout: '60' })
    assert.ok(reply.status === 422, `422 SQL_RESULT_TOO_LARGE, not ${reply.status}: ${reply.body.slice(0, 300)}`)
    const body = JSON.parse(reply.body) as { code: string, local_msg: string }
    assert.equal(body.code, 'SQL_RESULT_TOO_LARGE')
    assert.match(body.local_msg, /json:output/)
  })

  it('never answers 200 with a shortened result when the deadline falls while rows are produced', async () => {
    for (const format of ['json', 'table', 'json:list']) {
      const reply = await get(url, `sql kubearmor format=${format} "select * from logs"`, { timeout: '1' })
      assert.ok(reply.status === 504 || reply.status === 422, `${format}: a timeout or the cap, not ${reply.status}`)
      assert.ok(reply.ms < 3000, `${format}: answered within the deadline (${Math.round(reply.ms)} ms)`)
    }
    const cut = await get(url, 'sql kubearmor format=json:output "select * from logs"', { timeout: '1' }, 5)
    if (cut.status === 200) {
      assert.equal(cut.complete, false, 'a cut stream does not end like a complete one')
      const records = lines(cut.body)
      const last = records.at(-1) as { Error?: { code: string, rows_sent: number } }
      assert.equal(last.Error?.code, 'COMMAND_TIMEOUT', `the last line is the error record: ${JSON.stringify(last).slice(0, 200)}`)
      assert.equal(last.Error?.rows_sent, records.length - 1)
      assert.ok(records.length - 1 < logRows)
    } else {
      assert.equal(cut.status, 504)
    }
  })

  it('refuses values built outside the memory budget, and a query over the budget fails alone', async () => {
    for (const sql of ['select count(*) from (select unnest(range(50000000)))', "select length(repeat('x', 500000000))", 'select len(list_resize([1], 50000000))']) {
      const reply = await get(url, `sql kubearmor "${sql}"`, { timeout: '5' })
      assert.equal(reply.status, 400, `${sql}: ${reply.body}`)
      assert.equal((JSON.parse(reply.body) as { code: string }).code, 'SQL_RESOURCE_LIMIT')
      assert.ok(reply.ms < 1000, `${sql}: refused before running (${Math.round(reply.ms)} ms)`)
    }
    const heavy = await get(url, "sql kubearmor \"select length(string_agg(data || repeat('x', 2000), ',')) from logs\"", { timeout: '30' })
    assert.ok(heavy.status === 507 || heavy.status === 200, `over DuckDB's memory limit: 507 or an answer, not ${heavy.status}: ${heavy.body.slice(0, 300)}`)
    if (heavy.status === 507) assert.equal((JSON.parse(heavy.body) as { code: string }).code, 'SQL_OUT_OF_MEMORY')
    const before = Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n)
    await waitFor(async () => Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n) > before, { timeoutMs: 10_000, intervalMs: 100 })
    assert.equal((await restCommand(url, 'get status')).status, 200, 'the node goes on')
  })

  it('commits its live source\'s events while every query slot runs a long query', async () => {
    const committed = async (): Promise<number> => {
      const text = await (await fetch(new URL('/metrics', url))).text()
      return [...text.matchAll(/^fedlake_ingest_rows_committed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
    }
    // each holds one of the storage's 4 query slots, and one libuv pool thread, until its deadline interrupts it
    const long = 'select count(*) from logs a, logs b where (a.pid + b.ppid) % 7 = 3'
    let longDone = 0
    const longs = Array.from({ length: 4 }, async () => {
      const reply = await get(url, `sql kubearmor "${long}"`, { timeout: '12' })
      longDone++
      return reply
    })
    // every slot is taken once a fifth query cannot get one within its own deadline
    await waitFor(async () => (await get(url, 'sql kubearmor "select count(*) from logs"', { timeout: '1' })).status !== 200, { timeoutMs: 10_000, intervalMs: 50, what: 'the long queries to hold every query slot' })
    const from = await committed()
    await waitFor(async () => await committed() >= from + LIVE_RATE, { timeoutMs: 6000, intervalMs: 100, what: 'a second of live events committed while the long queries run' })
    assert.equal(longDone, 0, 'the long queries were still running while those events committed')
    for (const reply of await Promise.all(longs)) assert.equal(reply.status, 504, `the long query ran until its deadline: ${reply.body.slice(0, 200)}`)
  })

  it('keeps its event loop free and its sources drop-free while a large result streams to a slow client', async () => {
    await restCommand(url, 'get status where format = json') // starts a new event-loop window
    const droppedBefore = live.stats().dropped
    const reply = await get(url, 'sql kubearmor format=json:output "select * from logs"', { timeout: '120' }, 2)
    const status = (await restCommand(url, 'get status where format = json')).json() as { event_loop_delay_ms: { p99: number, max: number, window: number } }
    assert.equal(reply.status, 200)
    assert.ok(reply.complete)
    assert.ok(reply.ms > 2000, `the client was slow (${Math.round(reply.ms)} ms)`)
    assert.ok(status.event_loop_delay_ms.window >= reply.ms - 500, 'the event-loop window covers the stream')
    assert.ok(status.event_loop_delay_ms.p99 < 50, `event-loop delay p99 ${status.event_loop_delay_ms.p99} ms (max ${status.event_loop_delay_ms.max} ms)`)
    assert.equal(live.stats().dropped - droppedBefore, 0, 'the live source dropped nothing')
  })
})
