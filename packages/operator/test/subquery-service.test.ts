import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFramePipe } from '@fedlake/core'
import type { FrameStream, TableSchema } from '@fedlake/core'
import { decodeFrame, encodeControl } from '@fedlake/sql'
import type { SubqueryFrame } from '@fedlake/sql'
import { createSubqueryService } from '../src/index.js'
import { createDuckDbStorage } from '../src/storage/index.js'
import type { OperatorStorage } from '../src/storage/index.js'

const table: TableSchema = { dbms: 'kubearmor', table: 'logs', columns: [{ name: 'pod_name', type: 'VARCHAR' }, { name: 'pid', type: 'BIGINT' }] }
let dir: string
let storage: OperatorStorage

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fedlake-subquery-'))
  storage = createDuckDbStorage({ dataDir: dir, maxConcurrentQueries: 1 })
  await storage.start()
  await storage.ensureTable(table)
  await storage.appendRows(table, Array.from({ length: 5000 }, (_, i) => [`pod-${i % 7}`, i]))
})
after(async () => { await storage.stop(); rmSync(dir, { recursive: true, force: true }) })

const serve = createSubqueryService({ openQuery: async (dbms, sql, options) => await storage.openQuery(dbms, sql, options), maxTimeoutMs: 60_000 })

/** Sends one request (or raw first frame) and collects every reply frame. */
async function ask (first: Uint8Array, onStream?: (client: FrameStream) => void): Promise<SubqueryFrame[]> {
  const [client, server] = createFramePipe(2)
  const served = serve(server)
  await client.send(first)
  onStream?.(client)
  const replies: SubqueryFrame[] = []
  try {
    for await (const frame of client.frames) replies.push(decodeFrame(frame))
    await client.closeWrite()
  } catch { /* reset by the test */ }
  await served
  return replies
}

const request = (sql: string, timeoutMs = 10_000, keepOpen?: boolean): Uint8Array =>
  encodeControl({ type: 'query', queryId: 'q1', dbms: 'kubearmor', sql, timeoutMs, ...(keepOpen === undefined ? {} : { keepOpen }) })

/** Reads one answer: the frames up to its end or error. */
async function readAnswer (frames: AsyncIterator<Uint8Array>): Promise<SubqueryFrame[]> {
  const replies: SubqueryFrame[] = []
  for (;;) {
    const next = await frames.next()
    if (next.done === true) return replies
    const frame = decodeFrame(next.value)
    replies.push(frame)
    if (frame.kind === 'control' && (frame.message.type === 'end' || frame.message.type === 'error')) return replies
  }
}

describe('sub-query service', () => {
  it('streams fields, batches and the end over the pipe', async () => {
    const before = serve.counts()
    const replies = await ask(request('SELECT pod_name, pid FROM logs ORDER BY pid'))
    assert.deepEqual(serve.counts(), { ...before, completed: before.completed + 1 })
    assert.deepEqual(replies[0], { kind: 'control', message: { type: 'fields', fields: [{ name: 'pod_name', type: 'VARCHAR' }, { name: 'pid', type: 'BIGINT' }] } })
    const batches = replies.filter(r => r.kind === 'batch')
    assert.equal(batches.reduce((n, b) => n + (b.kind === 'batch' ? b.batch.rowCount : 0), 0), 5000)
    assert.deepEqual(replies.at(-1), { kind: 'control', message: { type: 'end', rows: 5000 } })
  })

  it('sends a small answer (fields, its batch, end) in one write, and a large one in writes of at most ~64 KiB of small frames', async () => {
    const writes: number[][] = []
    const counting = (stream: FrameStream): FrameStream => ({
      ...stream,
      send: async frame => { writes.push([frame.byteLength]); await stream.send(frame) },
      sendAll: async frames => { writes.push(frames.map(f => f.byteLength)); await stream.sendAll(frames) }
    })
    // a generous hold, so a slow machine does not flush early
    const gathering = createSubqueryService({ openQuery: async (dbms, sql, options) => await storage.openQuery(dbms, sql, options), maxTimeoutMs: 60_000, replyHoldMs: 2000 })
    const small = async (sql: string): Promise<SubqueryFrame[]> => {
      const [client, server] = createFramePipe(8)
      const served = gathering(counting(server))
      await client.send(request(sql))
      const replies: SubqueryFrame[] = []
      for await (const frame of client.frames) replies.push(decodeFrame(frame))
      await served
      return replies
    }
    const replies = await small('SELECT count(*) AS n FROM logs')
    assert.deepEqual(replies.map(r => r.kind === 'control' ? r.message.type : r.kind), ['fields', 'batch', 'end'])
    assert.deepEqual(writes.map(w => w.length), [3], 'one write of three frames')
    writes.length = 0
    const rows = await small('SELECT pod_name, pid FROM logs ORDER BY pid')
    assert.equal(rows.reduce((n, r) => n + (r.kind === 'batch' ? r.batch.rowCount : 0), 0), 5000)
    assert.equal(writes.flat().length, rows.length, 'every frame written once')
    for (const w of writes.slice(0, -1)) assert.ok(w.reduce((a, b) => a + b, 0) >= 60 * 1024 || w.length === 1, `a write before the last one is full (${w.join(', ')} bytes)`)
  })

  it('sends what it holds when the next batch is slow to come, so a slow answer still streams', async () => {
    const slowly = createSubqueryService({
      maxTimeoutMs: 60_000,
      replyHoldMs: 20,
      openQuery: async (dbms, sql, options) => {
        const result = await storage.openQuery(dbms, sql, options)
        return {
          fields: result.fields,
          cancel: reason => { result.cancel(reason) },
          async * [Symbol.asyncIterator] () {
            for await (const batch of result) {
              yield batch
              await new Promise(resolve => setTimeout(resolve, 300))
            }
          }
        }
      }
    })
    const [client, server] = createFramePipe(8)
    const served = slowly(server)
    const started = performance.now()
    await client.send(request('SELECT pod_name, pid FROM logs ORDER BY pid'))
    const arrivals: { kind: string, ms: number }[] = []
    for await (const frame of client.frames) {
      const decoded = decodeFrame(frame)
      arrivals.push({ kind: decoded.kind === 'control' ? decoded.message.type : decoded.kind, ms: performance.now() - started })
    }
    await served
    const batches = arrivals.filter(a => a.kind === 'batch')
    assert.ok(batches.length >= 2, `several batches (${batches.length})`)
    assert.equal(arrivals.at(-1)?.kind, 'end')
    // each batch is followed by a 300 ms pause: each arrives on its own, not gathered with the next
    for (let i = 1; i < batches.length; i++) {
      const gap = (batches[i] as { ms: number }).ms - (batches[i - 1] as { ms: number }).ms
      assert.ok(gap >= 250, `batch ${i} came ${Math.round(gap)} ms after the one before`)
    }
  })

  it('refuses hostile SQL exactly as local sql does', async () => {
    const cases: [string, string][] = [
      ["COPY logs TO '/tmp/x.csv'", 'SQL_NOT_READ_ONLY'],
      ["ATTACH '/tmp/other.duckdb' AS o", 'SQL_NOT_READ_ONLY'],
      ["SELECT * FROM read_csv('/etc/passwd')", 'SQL_FORBIDDEN_FUNCTION'],
      ['SELECT 1; SELECT 2', 'SQL_NOT_READ_ONLY'],
      ['INSTALL httpfs', 'SQL_NOT_READ_ONLY'],
      ["SET memory_limit='10GB'", 'SQL_NOT_READ_ONLY'],
      ['SELECT * FROM information_schema.tables', 'SQL_FORBIDDEN_REFERENCE'],
      ["SELECT getenv('HOME')", 'SQL_FORBIDDEN_FUNCTION'],
      ['SELECT 1 /* ; DROP TABLE logs */ ; DROP TABLE logs', 'SQL_NOT_READ_ONLY']
    ]
    const before = serve.counts()
    for (const [sql, code] of cases) {
      const replies = await ask(request(sql))
      assert.equal(replies.length, 1, sql)
      const reply = replies[0]
      assert.ok(reply?.kind === 'control' && reply.message.type === 'error', sql)
      assert.equal(reply.message.error.code, code, sql)
    }
    const count = await storage.query('kubearmor', 'SELECT count(*) AS n FROM logs')
    assert.deepEqual(count.rows, [[5000]])
    assert.deepEqual(serve.counts(), { ...before, failed: before.failed + cases.length })
  })

  it('refuses a malformed first frame', async () => {
    for (const first of [new Uint8Array([9, 1, 2]), encodeControl({ type: 'end', rows: 1 }), new Uint8Array([1, 123])]) {
      const replies = await ask(first)
      const reply = replies[0]
      assert.ok(reply?.kind === 'control' && reply.message.type === 'error')
      assert.equal(reply.message.error.code, 'SUBQUERY_PROTOCOL')
    }
  })

  it('stops the query when the query node resets the stream, freeing its slot', async () => {
    const before = serve.counts()
    const started = performance.now()
    await ask(request('SELECT count(*) FROM logs a, logs b, logs c'), client => { setTimeout(() => { client.abort() }, 100) })
    // the storage has one query slot: it is free again only once DuckDB let go of the cancelled query
    const count = await storage.query('kubearmor', 'SELECT count(*) AS n FROM logs')
    assert.deepEqual(count.rows, [[5000]])
    assert.ok(performance.now() - started < 5000, `cancelled promptly (${Math.round(performance.now() - started)} ms)`)
    assert.deepEqual(serve.counts(), { ...before, cancelled: before.cancelled + 1 })
  })

  it('stops the query when the query node closes its write side before the answer', async () => {
    const started = performance.now()
    await ask(request('SELECT count(*) FROM logs a, logs b, logs c'), client => { setTimeout(() => { void client.closeWrite() }, 100) })
    assert.deepEqual((await storage.query('kubearmor', 'SELECT count(*) AS n FROM logs')).rows, [[5000]])
    assert.ok(performance.now() - started < 5000, `cancelled promptly (${Math.round(performance.now() - started)} ms)`)
  })

  it('gives up at the time the request allows', async () => {
    const before = serve.counts()
    const replies = await ask(request('SELECT count(*) FROM logs a, logs b, logs c', 200))
    assert.deepEqual(serve.counts(), { ...before, cancelled: before.cancelled + 1 })
    const reply = replies.at(-1)
    assert.ok(reply?.kind === 'control' && reply.message.type === 'error')
    assert.equal(reply.message.error.code, 'SQL_CANCELLED')
  })

  it('answers further requests on a stream the query node keeps open, until it closes its side', async () => {
    const [client, server] = createFramePipe(2)
    const served = serve(server)
    const frames = client.frames[Symbol.asyncIterator]()
    for (const [sql, n] of [['SELECT count(*) AS n FROM logs', 5000], ['SELECT count(*) AS n FROM logs WHERE pid < 100', 100]] as const) {
      await client.send(request(sql, 10_000, true))
      const replies = await readAnswer(frames)
      const batch = replies.find(r => r.kind === 'batch')
      assert.ok(batch?.kind === 'batch')
      assert.equal(batch.batch.vectors[0]?.values[0], BigInt(n))
      assert.deepEqual(replies.at(-1), { kind: 'control', message: { type: 'end', rows: 1, keepOpen: true } })
    }
    await client.closeWrite()
    await served
    assert.equal((await frames.next()).done, true, 'the operator closed its side too')
  })

  it('ends its side of a kept-open stream left idle', async () => {
    const idle = createSubqueryService({ openQuery: async (dbms, sql, options) => await storage.openQuery(dbms, sql, options), maxTimeoutMs: 60_000, idleTimeoutMs: 100 })
    const [client, server] = createFramePipe(2)
    const served = idle(server)
    const frames = client.frames[Symbol.asyncIterator]()
    await client.send(request('SELECT count(*) FROM logs', 10_000, true))
    assert.deepEqual((await readAnswer(frames)).at(-1), { kind: 'control', message: { type: 'end', rows: 1, keepOpen: true } })
    await served
    assert.equal((await frames.next()).done, true)
  })

  it('closes the stream after the end when the request did not ask to keep it', async () => {
    const [client, server] = createFramePipe(2)
    const served = serve(server)
    const frames = client.frames[Symbol.asyncIterator]()
    await client.send(request('SELECT count(*) FROM logs'))
    assert.deepEqual((await readAnswer(frames)).at(-1), { kind: 'control', message: { type: 'end', rows: 1 } })
    assert.equal((await frames.next()).done, true)
    await client.closeWrite()
    await served
  })
})
