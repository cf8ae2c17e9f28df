/**
 * A plain SELECT ... ORDER BY without LIMIT over more rows than the query node's merge DuckDB may hold: the query
 * node runs with the smallest memory budget (FEDLAKE_MEMORY_BUDGET_MB=128, a 64 MiB merge DuckDB, where one DuckDB
 * fails to sort these rows), two operators hold FEDLAKE_ORDER_ROWS rows each. The answer must stream in exactly
 * the order one DuckDB over the union gives (the ORDER BY ends with a unique key, so the order is determined),
 * with the query node's memory bounded; LIMIT/OFFSET cut the same order.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const ROWS_PER_OPERATOR = Number(process.env.FEDLAKE_ORDER_ROWS ?? 100_000)
const TOTAL = 2 * ROWS_PER_OPERATOR
const ORDER_BY = 'grp DESC NULLS FIRST, ts, payload, id'
const SELECT = `select id, grp, payload from order_rows order by ${ORDER_BY}`
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

/** ~560 bytes per row, its text not in id order; some rows share grp and ts, so payload and id decide. */
function rowOf (id: number): { id: number, grp: number | null, ts: string, payload: string } {
  const mixed = (id * 2654435761) % 1000003
  return {
    id,
    grp: id % 11 === 0 ? null : mixed % 7,
    ts: new Date(Date.UTC(2026, 2, 1) + (mixed % 500) * 1000).toISOString(),
    payload: `${String.fromCharCode(0x61 + (mixed % 26))}${mixed % 97 === 0 ? '\u{1F600}' : '\uFFFD'}-${'abcdefghij'.repeat(50)}-${mixed % 13}`
  }
}

function rssMb (pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid ?? 0}/status`, 'utf8'))
  return m === null ? NaN : Number(m[1]) / 1024
}

/** The ids of an NDJSON (json:output) reply, in order, each row checked against the row its id stands for. */
async function orderedIds (res: Response, sample?: (rows: number) => void): Promise<{ ids: number[], wrong: number, bytes: number }> {
  const ids: number[] = []
  let wrong = 0
  let bytes = 0
  let rest = ''
  const decoder = new TextDecoder()
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done === true) break
    bytes += value.byteLength
    const lines = (rest + decoder.decode(value, { stream: true })).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      const row = JSON.parse(line) as { id: number, grp: number | null, payload: string }
      const want = rowOf(row.id)
      if (row.payload !== want.payload || row.grp !== want.grp) wrong++
      ids.push(row.id)
    }
    sample?.(ids.length)
  }
  assert.equal(rest, '', 'the body ends with a whole line')
  return { ids, wrong, bytes }
}

describe(`ORDER BY over ${TOTAL.toLocaleString('en')} rows with a 64 MiB merge DuckDB`, { timeout: 900_000 }, () => {
  let query: Child
  let url = ''
  let reference: DuckDBConnection

  before(async () => {
    const start = async (name: string, roles: string, seeds: string[], env: Record<string, string> = {}): Promise<Child> => {
      const dir = tempDir(`order-${name}`)
      cleanups.push(() => { dir.remove() })
      const child = await startFedlake(['node', '--name', name, '--roles', roles, '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path,
        '--cluster', `${name}-cluster`, ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : [])], { env })
      cleanups.push(async () => { await child.stop('SIGKILL') })
      return child
    }
    query = await start('query-1', 'query', [], { FEDLAKE_MEMORY_BUDGET_MB: '128' })
    url = query.ready.rest ?? ''
    const operators = await Promise.all([1, 2].map(async n => await start(`op-${n}`, 'operator', [query.ready.p2p ?? ''])))
    const PUT_ROWS = 50_000
    await Promise.all(operators.map(async (op, i) => {
      for (let from = 0; from < ROWS_PER_OPERATOR; from += PUT_ROWS) {
        const lines = Array.from({ length: Math.min(PUT_ROWS, ROWS_PER_OPERATOR - from) }, (_, r) => JSON.stringify(rowOf(i * ROWS_PER_OPERATOR + from + r)))
        const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'kubearmor', table: 'order_rows' }, body: lines.join('\n') })
        assert.equal(res.status, 200, await res.text())
      }
    }))
    await waitFor(async () => {
      const reply = await restCommand(url, 'sql kubearmor format=json and stat=false "select count(*) as n from order_rows"', { headers: { destination: 'network' } })
      return reply.status === 200 && (reply.json() as { Query: { n: number }[] }).Query[0]?.n === TOTAL
    }, { timeoutMs: 120_000, intervalMs: 200, what: 'every operator\'s rows to be queryable over the network' })

    // the reference: one DuckDB holding the union, with the types the operators inferred
    const columns = (await restCommand(url, 'get columns where dbms = kubearmor and table = order_rows and format = json')).json() as Record<string, string>
    assert.deepEqual(columns, { id: 'bigint', grp: 'bigint', ts: 'timestamp', payload: 'varchar' })
    const instance = await DuckDBInstance.create(':memory:')
    reference = await instance.connect()
    cleanups.push(() => { reference.closeSync(); instance.closeSync() })
    await reference.run('CREATE TABLE order_rows (id BIGINT, grp BIGINT, ts TIMESTAMP, payload VARCHAR)')
    const appender = await reference.createAppender('order_rows')
    for (let id = 0; id < TOTAL; id++) {
      const row = rowOf(id)
      appender.appendBigInt(BigInt(id))
      if (row.grp === null) appender.appendNull(); else appender.appendBigInt(BigInt(row.grp))
      appender.appendVarchar(row.ts)
      appender.appendVarchar(row.payload)
      appender.endRow()
    }
    appender.closeSync()
  })

  const referenceIds = async (suffix = ''): Promise<number[]> =>
    (await reference.runAndReadAll(`SELECT id FROM order_rows ORDER BY ${ORDER_BY}${suffix}`)).getRows().map(r => Number(r[0]))

  const ask = async (sql: string): Promise<Response> => await fetch(url, {
    headers: { 'User-Agent': 'AnyLog/1.23', command: `sql kubearmor format=json:output and stat=false "${sql}"`, destination: 'network', timeout: '240' }
  })

  it('answers every row in DuckDB\'s order, streaming, with the query node\'s memory bounded', async () => {
    const want = await referenceIds()
    const before = rssMb(query.proc.pid)
    /** The query node's RSS, by how many rows the client had then. */
    const samples: Array<{ rows: number, rss: number }> = []
    const started = performance.now()
    const res = await ask(SELECT)
    assert.equal(res.status, 200, res.status === 200 ? '' : await res.text())
    const got = await orderedIds(res, rows => { samples.push({ rows, rss: rssMb(query.proc.pid) }) })
    const mb = got.bytes / (1024 * 1024)
    const peakOf = (from: number, to: number): number => Math.max(before, ...samples.filter(s => s.rows >= from && s.rows <= to).map(s => s.rss))
    const growth = peakOf(0, TOTAL) - before
    const lateGrowth = peakOf(TOTAL / 2, TOTAL) - peakOf(0, TOTAL / 2)
    process.stdout.write(`# ${got.ids.length} rows, ${mb.toFixed(1)} MB of NDJSON in ${((performance.now() - started) / 1000).toFixed(1)} s; query node RSS ${before.toFixed(0)} MB, peak +${growth.toFixed(1)} MB, +${lateGrowth.toFixed(1)} MB in the second half\n`)
    assert.equal(got.wrong, 0, 'every row as stored')
    assert.equal(got.ids.length, TOTAL)
    const at = got.ids.findIndex((id, i) => id !== want[i])
    assert.equal(at, -1, `row ${at}: id ${got.ids[at]}, DuckDB's order has ${want[at]}`)
    // a node holding the rows would keep growing with them; one merging streams has its working set by half-way
    // (the bounds of network-stream.test.ts, where GC lagging on a loaded machine is measured)
    assert.ok(growth < 200, `RSS grew ${growth.toFixed(1)} MB for ${mb.toFixed(1)} MB of answer`)
    assert.ok(lateGrowth < mb / 2 / 2, `RSS grew ${lateGrowth.toFixed(1)} MB over the second ${(mb / 2).toFixed(1)} MB of the answer`)
  })

  it('LIMIT and OFFSET cut the same order', async () => {
    const offset = Math.floor(TOTAL * 0.6)
    const res = await ask(`${SELECT} limit 1000 offset ${offset}`)
    assert.equal(res.status, 200)
    const got = await orderedIds(res)
    assert.deepEqual(got.ids, await referenceIds(` LIMIT 1000 OFFSET ${offset}`))
  })

  it('query explain says the sorted streams are merged', async () => {
    const explain = await restCommand(url, `query explain sql kubearmor "${SELECT}"`)
    assert.equal(explain.status, 200)
    assert.match(explain.text, /merges the operators' sorted streams/)
    assert.match(explain.text, /ORDER BY __c1 DESC NULLS FIRST, __o0 ASC NULLS LAST/, 'the operators sort')
  })
})
