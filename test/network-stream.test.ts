/**
 * Big results over the network: a query node and two operator processes holding FEDLAKE_STREAM_ROWS rows each
 * (PUT), streamed to clients as json:output. The query node's memory must not grow with the result, a client
 * that stops reading must stop the operators, one that leaves must cancel every operator's sub-query at once,
 * and a one-document reply over the cap must be refused early.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { parsePrometheusText, sumOf } from './helpers/prometheus.js'

const ROWS_PER_OPERATOR = Number(process.env.FEDLAKE_STREAM_ROWS ?? 150_000)
const TOTAL = 2 * ROWS_PER_OPERATOR
const SELECT = 'select id, op, payload from stream_rows'
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

/** Every row's payload is a function of its id, so a client can check each row it gets. */
function payloadOf (id: number): string {
  return `row-${id}-${'abcdefghij'.repeat(50)}-${(id * 2654435761) % 1000003}`
}

function rssMb (pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'))
  return m === null ? NaN : Number(m[1]) / 1024
}

async function metric (node: Child, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${node.ready.rest ?? ''}/metrics`)
  return sumOf(parsePrometheusText(await res.text()), name, labels)
}

class StopReading extends Error {}

/** A network `sql` request whose body the test reads itself. */
async function openNetworkQuery (url: string, sql: string, format: string, signal?: AbortSignal): Promise<Response> {
  return await fetch(url, {
    headers: { 'User-Agent': 'AnyLog/1.23', command: `sql kubearmor format=${format} and stat=false "${sql}"`, destination: 'network', timeout: '240' },
    ...(signal === undefined ? {} : { signal })
  })
}

/** Reads NDJSON rows, checking each one; `pace` runs after every chunk (a slow or pausing client). */
class RowReader {
  readonly seen = new Uint8Array(TOTAL)
  rows = 0
  duplicates = 0
  wrong = 0
  idSum = 0
  private rest = ''
  private readonly decoder = new TextDecoder()

  async readAll (res: Response, pace: (bytes: number) => Promise<void> = async () => {}): Promise<void> {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done === true) break
      this.take(value)
      await pace(value.byteLength)
    }
    assert.equal(this.rest, '', 'the body ends with a whole line')
  }

  private take (chunk: Uint8Array): void {
    const lines = (this.rest + this.decoder.decode(chunk, { stream: true })).split('\n')
    this.rest = lines.pop() ?? ''
    for (const line of lines) {
      const row = JSON.parse(line) as { id: number, op: string, payload: string }
      if (row.id < 0 || row.id >= TOTAL || row.payload !== payloadOf(row.id) || row.op !== `op-${Math.floor(row.id / ROWS_PER_OPERATOR) + 1}`) this.wrong++
      else if (this.seen[row.id] === 1) this.duplicates++
      else { this.seen[row.id] = 1; this.idSum += row.id }
      this.rows++
    }
  }
}

describe(`streaming ${TOTAL.toLocaleString('en')} rows from two operators`, { timeout: 900_000 }, () => {
  let query: Child
  let operators: Child[]
  let url = ''

  before(async () => {
    const start = async (name: string, roles: string, seeds: string[]): Promise<Child> => {
      const dir = tempDir(`stream-${name}`)
      cleanups.push(() => { dir.remove() })
      const child = await startFedlake(['node', '--name', name, '--roles', roles, '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path,
        '--cluster', `${name}-cluster`, ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : [])])
      cleanups.push(async () => { await child.stop('SIGKILL') })
      return child
    }
    query = await start('query-1', 'query', [])
    url = query.ready.rest ?? ''
    operators = await Promise.all([1, 2].map(async n => await start(`op-${n}`, 'operator', [query.ready.p2p ?? ''])))
    const PUT_ROWS = 100_000
    await Promise.all(operators.map(async (op, i) => {
      for (let from = 0; from < ROWS_PER_OPERATOR; from += PUT_ROWS) {
        const lines = Array.from({ length: Math.min(PUT_ROWS, ROWS_PER_OPERATOR - from) }, (_, r) => {
          const id = i * ROWS_PER_OPERATOR + from + r
          return JSON.stringify({ id, op: `op-${i + 1}`, payload: payloadOf(id) })
        })
        const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'kubearmor', table: 'stream_rows' }, body: lines.join('\n') })
        assert.equal(res.status, 200, await res.text())
      }
    }))
    await waitFor(async () => {
      const reply = await restCommand(url, 'sql kubearmor format=json and stat=false "select count(*) as n from stream_rows"', { headers: { destination: 'network' } })
      return reply.status === 200 && (reply.json() as { Query: { n: number }[] }).Query[0]?.n === TOTAL
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'every operator\'s rows to be queryable over the network' })
  })

  const cancelledCounts = async (): Promise<number[]> => await Promise.all(operators.map(async op => await metric(op, 'fedlake_subqueries_served_total', { outcome: 'cancelled' })))

  /** Waits at most a second for every operator to have no sub-query running and one more cancelled than `before`. */
  const everyOperatorCancelled = async (before: readonly number[]): Promise<void> => {
    await waitFor(async () => {
      for (const [i, op] of operators.entries()) {
        if (await metric(op, 'fedlake_subqueries_running') !== 0) return false
        if (await metric(op, 'fedlake_subqueries_served_total', { outcome: 'cancelled' }) !== (before[i] ?? 0) + 1) return false
      }
      return true
    }, { timeoutMs: 1000, intervalMs: 20, what: 'every operator to cancel its sub-query' })
  }

  /** Rows the query node has received from the operators for its latest query (`query status`). */
  const rowsReceived = async (): Promise<number> => {
    const rows = (await restCommand(url, 'query status where format = json')).json() as Array<Record<string, unknown>>
    return rows.filter(r => r.Node !== '*').reduce((n, r) => n + Number(r.Rows), 0)
  }

  it('streams every row exactly once with the query node\'s memory bounded', async () => {
    // warm up the query node's code paths, so what follows measures the stream, not the first query
    const warm = new RowReader()
    await warm.readAll(await openNetworkQuery(url, `${SELECT} limit 5000`, 'json:output'))
    assert.equal(warm.rows, 5000)

    const before = rssMb(query.proc.pid)
    const reader = new RowReader()
    /** The query node's RSS, by how many rows the client had then. */
    const samples: Array<{ rows: number, rss: number }> = []
    const sampler = setInterval(() => { samples.push({ rows: reader.rows, rss: rssMb(query.proc.pid) }) }, 20)
    let bytes = 0
    let started = 0
    try {
      const res = await openNetworkQuery(url, SELECT, 'json:output')
      assert.equal(res.status, 200)
      started = performance.now()
      await reader.readAll(res, async chunk => {
        bytes += chunk
        // a client reading at ~8 MB/s, slower than the query node can send
        const ahead = bytes / 8_000 - (performance.now() - started)
        if (ahead > 0) await new Promise(resolve => setTimeout(resolve, ahead))
      })
    } finally {
      clearInterval(sampler)
    }
    const peakOf = (from: number, to: number): number => Math.max(before, ...samples.filter(s => s.rows >= from && s.rows <= to).map(s => s.rss))
    const growth = peakOf(0, TOTAL) - before
    // a node that held the rows would keep growing with them; one that streams has its working set by half-way
    const lateGrowth = peakOf(TOTAL / 2, TOTAL) - peakOf(0, TOTAL / 2)
    const resultMb = bytes / (1024 * 1024)
    process.stdout.write(`# ${reader.rows} rows, ${resultMb.toFixed(1)} MB of NDJSON in ${((performance.now() - started) / 1000).toFixed(1)} s; query node RSS ${before.toFixed(0)} MB, peak +${growth.toFixed(1)} MB, +${lateGrowth.toFixed(1)} MB in the second half\n`)
    assert.equal(reader.wrong, 0, 'every row as stored')
    assert.equal(reader.duplicates, 0, 'no row twice')
    assert.equal(reader.rows, TOTAL)
    assert.equal(reader.idSum, TOTAL * (TOTAL - 1) / 2)
    assert.ok(growth < 200, `RSS grew ${growth.toFixed(1)} MB streaming ${resultMb.toFixed(1)} MB`)
    // holding them would take more than their NDJSON (JavaScript strings of it, or the decoded batches); GC that
    // lags on a loaded machine took up to 0.45 MB per MB here, the leak this guards against 1.26 MB per MB
    assert.ok(lateGrowth < resultMb / 2 / 2, `RSS grew ${lateGrowth.toFixed(1)} MB over the second ${(resultMb / 2).toFixed(1)} MB of the result`)
    for (const op of operators) assert.equal(await metric(op, 'fedlake_subqueries_running'), 0)
  })

  it('stops the operators while the client does not read, cancels every sub-query within a second of it leaving, and keeps serving', async () => {
    const cancelledBefore = await cancelledCounts()
    const queriesCancelledBefore = await metric(query, 'fedlake_network_queries_total', { status: 'cancelled' })
    const client = new AbortController()
    const res = await openNetworkQuery(url, SELECT, 'json:output', client.signal)
    assert.equal(res.status, 200)
    const reader = new RowReader()
    await reader.readAll(res, async () => { if (reader.rows >= TOTAL / 5) throw new StopReading() }).catch((err: unknown) => { if (!(err instanceof StopReading)) throw err })

    // the client holds a fifth of the rows and reads no more: the operators must stop sending well before the end
    let last = -1
    const settled = await waitFor(async () => {
      const now = await rowsReceived()
      const stable = now === last
      last = now
      return stable ? now : undefined
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the operators to stop sending while the client does not read' })
    process.stdout.write(`# client stopped reading at ${reader.rows} rows: the query node stopped at ${settled} rows received\n`)
    assert.ok(settled < TOTAL * 0.8, `the operators sent ${settled} of ${TOTAL} rows to a client that holds ${reader.rows}`)
    for (const op of operators) assert.equal(await metric(op, 'fedlake_subqueries_running'), 1, 'each sub-query waits; it has not ended')

    const left = performance.now()
    client.abort()
    await everyOperatorCancelled(cancelledBefore)
    process.stdout.write(`# every operator cancelled ${(performance.now() - left).toFixed(0)} ms after the client left\n`)
    await waitFor(async () => await metric(query, 'fedlake_network_queries_running') === 0 &&
      await metric(query, 'fedlake_network_queries_total', { status: 'cancelled' }) === queriesCancelledBefore + 1, { timeoutMs: 1000, intervalMs: 20, what: 'the query node to end the query' })
    const count = await restCommand(url, 'sql kubearmor format=json and stat=false "select count(*) as n from stream_rows"', { headers: { destination: 'network' } })
    assert.equal(count.status, 200, count.text)
    assert.deepEqual(count.json(), { Query: [{ n: TOTAL }] })
    for (const op of operators) {
      const local = await restCommand(op.ready.rest ?? '', 'sql kubearmor format=json and stat=false "select count(*) as n from stream_rows"')
      assert.deepEqual(local.json(), { Query: [{ n: ROWS_PER_OPERATOR }] })
    }
  })

  it('streams an ORDER BY merged in the query node\'s DuckDB, every row once and in order', async () => {
    const res = await openNetworkQuery(url, 'select id, op from stream_rows order by id desc', 'json:output')
    assert.equal(res.status, 200)
    let previous = TOTAL
    let rows = 0
    let rest = ''
    const decoder = new TextDecoder()
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        const row = JSON.parse(line) as { id: number, op: string }
        assert.equal(row.id, previous - 1, 'every id once, descending')
        assert.equal(row.op, `op-${Math.floor(row.id / ROWS_PER_OPERATOR) + 1}`)
        previous = row.id
        rows++
      }
    }
    assert.equal(rest, '')
    assert.equal(rows, TOTAL)
  })

  it('runs limits.maxConcurrentQueries network queries at once (4 by default); the next waits its turn within its deadline', async () => {
    const clients = Array.from({ length: 4 }, () => new AbortController())
    try {
      // four answers held by clients that do not read: each keeps its slot
      for (const client of clients) assert.equal((await openNetworkQuery(url, SELECT, 'json:output', client.signal)).status, 200)
      const count = 'sql kubearmor format=json and stat=false "select count(*) as n from stream_rows"'
      const waited = restCommand(url, count, { headers: { destination: 'network', timeout: '2' } })
      await waitFor(async () => await metric(query, 'fedlake_network_queries_waiting') === 1, { timeoutMs: 10_000, what: 'the fifth query to wait for a slot' })
      const timedOut = await waited
      assert.ok(timedOut.status >= 500, `a query that waits past its deadline fails: ${timedOut.status} ${timedOut.text}`)
      assert.equal(await metric(query, 'fedlake_network_queries_waiting'), 0)
      const next = restCommand(url, count, { headers: { destination: 'network', timeout: '60' } })
      await waitFor(async () => await metric(query, 'fedlake_network_queries_waiting') === 1, { timeoutMs: 10_000, what: 'the next query to wait' })
      clients[0]?.abort()
      const answered = await next
      assert.equal(answered.status, 200, answered.text)
      assert.deepEqual(answered.json(), { Query: [{ n: TOTAL }] })
    } finally {
      for (const client of clients) client.abort()
      // their sub-queries end before the next test counts cancellations
      await waitFor(async () => {
        for (const op of operators) if (await metric(op, 'fedlake_subqueries_running') !== 0) return false
        return true
      }, { timeoutMs: 10_000, what: 'the held queries\' sub-queries to end' })
    }
  })

  it('refuses format=json over the reply cap as soon as the cap is crossed, and stops the operators', async () => {
    const cancelledBefore = await cancelledCounts()
    const before = rssMb(query.proc.pid)
    let peak = before
    const sampler = setInterval(() => { peak = Math.max(peak, rssMb(query.proc.pid)) }, 20)
    let res: Response
    try {
      res = await openNetworkQuery(url, SELECT, 'json')
    } finally {
      clearInterval(sampler)
    }
    const body = await res.json() as { code?: string, local_msg?: string }
    assert.equal(res.status, 422)
    assert.equal(body.code, 'SQL_RESULT_TOO_LARGE', JSON.stringify(body))
    await everyOperatorCancelled(cancelledBefore)
    const rows = await rowsReceived()
    process.stdout.write(`# refused after ${rows} rows received; query node RSS peak +${(peak - before).toFixed(1)} MB\n`)
    assert.ok(rows < TOTAL / 2, `the cap was checked as rows came (${rows} of ${TOTAL} received)`)
  })

  it('streams rows too wide for one transport frame per DuckDB chunk (2,048 rows of 10 KB): every row, exact', async () => {
    const WIDE_ROWS = 3000
    const padOf = (id: number): string => `${id}-${'w'.repeat(10_000)}`
    const body = Array.from({ length: WIDE_ROWS }, (_, id) => JSON.stringify({ id, pad: padOf(id) })).join('\n')
    const put = await fetch(operators[0]?.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'kubearmor', table: 'wide_rows' }, body })
    assert.equal(put.status, 200, await put.text())
    await waitFor(async () => (await restCommand(url, 'sql kubearmor format=json "select count(*) from wide_rows"', { headers: { destination: 'network' } })).status === 200,
      { timeoutMs: 30_000, intervalMs: 200, what: 'the wide table to be known to the query node' })
    const res = await openNetworkQuery(url, 'select id, pad from wide_rows', 'json:output')
    const text = await res.text()
    assert.equal(res.status, 200, text.slice(0, 300))
    const lines = text.split('\n').filter(l => l !== '')
    const rows = lines.map(l => JSON.parse(l) as { id?: number, pad?: string })
    assert.equal(rows.length, WIDE_ROWS, `rows: ${lines.at(-1)?.slice(0, 300) ?? ''}`)
    const ids = new Set<number>()
    for (const row of rows) {
      assert.equal(row.pad, padOf(row.id ?? -1), `row ${String(row.id)}`)
      ids.add(row.id ?? -1)
    }
    assert.equal(ids.size, WIDE_ROWS, 'every row once')
  })
})
