/**
 * Answers when the network misbehaves: a query node and three single-operator clusters, each node in its own
 * network namespace. One operator (the victim) is killed (SIGKILL), frozen (SIGSTOP) or cut off (its link down:
 * packets vanish, no FIN, no RST) before or during a query. The query must fail within its deadline naming the
 * victim, or, with `subset = true`, answer with the others' rows and say so in its statistics; the query node keeps
 * serving; and once the liveness view has lost the victim, queries fail (or leave it out) fast instead of waiting
 * out the deadline. "During" holds a plain SELECT mid-stream: the client stops reading, so every operator is
 * mid-answer (the transport's backpressure) when the victim fails: the victim's answer (120 MB, every row distinct,
 * so the wire codec's dictionary cannot shrink it) is far more than every buffer between it and the client holds,
 * and the test checks it is still sending before it fails it. Needs root and iproute2 (test/helpers/netns.ts).
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { createNetnsNetwork, requireNetns, startInNamespace } from './helpers/netns.js'
import type { NetnsNetwork } from './helpers/netns.js'
import { FEDLAKE_BIN, restCommand, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { parsePrometheusText, sumOf } from './helpers/prometheus.js'

const DEADLINE_S = 3
/** What a reply may take beyond its deadline: the REST reply, process scheduling on a loaded machine. */
const MARGIN_MS = 1500
const REST_PORT = 32349
const P2P_PORT = 32348
const HEALTHY = ['op-a', 'op-b'] as const
const VICTIM = 'victim'
/** Rows of each healthy operator. */
const ROWS = 60_000
/** The victim's rows, each padded (a distinct string per row) and repeated by ALL_ROWS to 4 KB. */
const VICTIM_ROWS = 30_000
const PAD = 500
const TOTAL = 2 * ROWS + VICTIM_ROWS
const COUNT = 'select count(*) as n from events'
const ALL_ROWS = 'select pid, repeat(pad, 8) as pad from events'
/** A plain SELECT streams: held mid-answer, then finishing the healthy operators' rows takes longer. */
const STREAM_DEADLINE_S = 8

type Failure = 'kill' | 'freeze' | 'cutoff'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

interface Reply { status: number, elapsedMs: number, body: Record<string, unknown>, text: string }

function rows (from: number, count: number, pad = 0): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ pod_name: `pod-${(from + i) % 7}`, pid: from + i, ts: '2026-01-01 10:00:00', pad: pad === 0 ? '' : `${from + i}-${'x'.repeat(pad)}` })).join('\n')
}

/** A streamed reply (`format = json:output`) the client reads only once told to: until then the operators wait. */
interface HeldReply {
  readonly started: number
  /** Reads the rest; resolves with the status, the NDJSON lines and the time from the request on. */
  finish(): Promise<{ status: number, lines: string[], elapsedMs: number }>
}

async function holdReply (url: string, command: string, headers: Record<string, string>): Promise<HeldReply> {
  const started = performance.now()
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers: { 'User-Agent': 'AnyLog/1.23', command, ...headers } }, resolve)
    req.on('error', reject)
    req.end()
  })
  res.pause()
  return {
    started,
    finish: async () => await new Promise(resolve => {
      let text = ''
      res.setEncoding('utf8')
      const done = (): void => { resolve({ status: res.statusCode ?? 0, lines: text.split('\n').filter(l => l !== ''), elapsedMs: performance.now() - started }) }
      res.on('data', (d: string) => { text += d })
      // a failed stream ends without its last chunk: the response is aborted, which ends it here as well
      res.on('end', done)
      res.on('aborted', done)
      res.on('error', done)
      res.resume()
    })
  }
}

/** The error of a failed reply: its stable code and message. */
function errorOf (reply: Reply): { code: string, message: string } {
  return { code: String(reply.body.code ?? ''), message: String(reply.body.local_msg ?? reply.text) }
}

describe('queries when an operator is killed, frozen or cut off', { timeout: 600_000 }, () => {
  let network: NetnsNetwork
  let url = ''
  const children = new Map<string, Child>()
  const dataDirs = new Map<string, string>()
  const measured: string[] = []

  const startNode = async (name: string, roles: string): Promise<Child> => {
    const args = [process.execPath, FEDLAKE_BIN, 'node', '--name', name, '--roles', roles, '--host', network.address(name),
      '--rest-port', String(REST_PORT), '--p2p-port', String(P2P_PORT), '--data-dir', dataDirs.get(name) ?? '',
      '--cluster', `${name}-cluster`, ...(name === 'query' ? [] : ['--seeds', `${network.address('query')}:${P2P_PORT}`])]
    const child = await startInNamespace(network, name, args, { ...process.env, FEDLAKE_LOG_LEVEL: process.env.FEDLAKE_LOG_LEVEL ?? 'warn' })
    children.set(name, child)
    cleanups.push(async () => { await child.stop('SIGKILL') })
    return child
  }

  const ask = async (sql: string, subset: boolean): Promise<Reply> => {
    const started = performance.now()
    const reply = await restCommand(url, `sql fail format=json "${sql}"`, { headers: { destination: 'network', timeout: String(DEADLINE_S), ...(subset ? { subset: 'true' } : {}) } })
    const elapsedMs = performance.now() - started
    let body: Record<string, unknown> = {}
    try { body = reply.json() as Record<string, unknown> } catch { /* a text reply */ }
    return { status: reply.status, elapsedMs, body, text: reply.text }
  }

  const countOf = (reply: Reply): number => Number((reply.body.Query as Array<{ n: number }> | undefined)?.[0]?.n ?? -1)
  const statistics = (reply: Reply): Record<string, number> => (reply.body.Statistics as Array<Record<string, number>> | undefined)?.[0] ?? {}

  const victimStatus = async (): Promise<string | undefined> => {
    const nodes = (await restCommand(url, 'get data nodes where format = json')).json() as Array<Record<string, string>>
    return nodes.find(n => n['Node Name'] === VICTIM)?.['Node Status']
  }

  const subqueriesRunning = async (name: string): Promise<number> => {
    const res = await fetch(`${children.get(name)?.ready.rest ?? ''}/metrics`)
    return sumOf(parsePrometheusText(await res.text()), 'fedlake_subqueries_running')
  }

  /** Every operator answers, and the liveness view has all of them active. */
  const healthy = async (what: string): Promise<void> => {
    await waitFor(async () => {
      const reply = await ask(COUNT, false)
      return reply.status === 200 && countOf(reply) === TOTAL && statistics(reply).Nodes === 3 && await victimStatus() === 'active'
    }, { timeoutMs: 60_000, intervalMs: 250, what })
  }

  const fail = (failure: Failure): void => {
    const victim = children.get(VICTIM) as Child
    if (failure === 'kill') victim.proc.kill('SIGKILL')
    else if (failure === 'freeze') victim.proc.kill('SIGSTOP')
    else network.setLink(VICTIM, false)
  }

  const restore = async (failure: Failure): Promise<void> => {
    const victim = children.get(VICTIM) as Child
    if (failure === 'kill') {
      await victim.stop('SIGKILL')
      await startNode(VICTIM, 'operator')
    } else if (failure === 'freeze') {
      victim.proc.kill('SIGCONT')
    } else {
      network.setLink(VICTIM, true)
    }
    await healthy(`the network to answer with the victim again after ${failure}`)
  }

  /** How long after the failure the query node's liveness view says the victim is unreachable. */
  const lossNoticedAfter = async (failedAt: number): Promise<number> => {
    await waitFor(async () => await victimStatus() === 'unreachable', { timeoutMs: 30_000, intervalMs: 50, what: 'the liveness view to lose the victim' })
    return performance.now() - failedAt
  }

  const assertFailedNamingVictim = (reply: Reply, codes: readonly string[], what: string): void => {
    assert.notEqual(reply.status, 200, `${what}: ${reply.text}`)
    const error = errorOf(reply)
    assert.ok(codes.includes(error.code), `${what}: code ${error.code}, expected one of ${codes.join(', ')}: ${reply.text}`)
    assert.match(error.message, new RegExp(VICTIM), `${what}: the error names the victim`)
    assert.ok(reply.elapsedMs < DEADLINE_S * 1000 + MARGIN_MS, `${what}: answered after ${Math.round(reply.elapsedMs)} ms, the deadline is ${DEADLINE_S} s`)
  }

  const assertSubsetWithoutVictim = (reply: Reply, what: string): void => {
    assert.equal(reply.status, 200, `${what}: ${reply.text}`)
    assert.equal(countOf(reply), 2 * ROWS, `${what}: the healthy operators' rows: ${reply.text}`)
    assert.equal(statistics(reply)['Target Nodes'], 3, what)
    assert.equal(statistics(reply)['Participating Nodes'], 2, what)
    assert.ok(reply.elapsedMs < DEADLINE_S * 1000 + MARGIN_MS, `${what}: answered after ${Math.round(reply.elapsedMs)} ms, the deadline is ${DEADLINE_S} s`)
  }

  before(async () => {
    requireNetns()
    network = createNetnsNetwork(['query', ...HEALTHY, VICTIM])
    cleanups.push(() => { network.destroy() })
    for (const name of ['query', ...HEALTHY, VICTIM]) {
      const dir = tempDir(`failures-${name}`)
      cleanups.push(() => { dir.remove() })
      dataDirs.set(name, dir.path)
    }
    await startNode('query', 'query')
    url = `http://${network.address('query')}:${REST_PORT}`
    const operators = await Promise.all([...HEALTHY, VICTIM].map(async name => await startNode(name, 'operator')))
    for (const [i, op] of operators.entries()) {
      const body = i < HEALTHY.length ? rows(i * ROWS, ROWS) : rows(i * ROWS, VICTIM_ROWS, PAD)
      const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'fail', table: 'events' }, body })
      assert.equal(res.status, 200, await res.text())
    }
    await healthy('all three operators to answer')
  })

  after(() => { if (measured.length > 0) console.log(`# measured:\n${measured.map(m => `#   ${m}`).join('\n')}`) })

  for (const failure of ['kill', 'freeze', 'cutoff'] as const) {
    it(`${failure} during a query, the victim mid-answer: the plain stream ends with an error naming it, the subset one with the others' rows`, async () => {
      const command = `sql fail format=json:output "${ALL_ROWS}"`
      const headers = { destination: 'network', timeout: String(STREAM_DEADLINE_S) }
      const [plain, subset] = await Promise.all([holdReply(url, command, headers), holdReply(url, command, { ...headers, subset: 'true' })])
      // both queries are reading the victim's rows, and can take no more of them while their clients wait
      await waitFor(async () => {
        const log = (await restCommand(url, 'query status all where format = json')).json() as Array<Record<string, unknown>>
        const running = new Set(log.filter(r => r.Node === '*' && r.Status === 'running').map(r => r.Job))
        return log.filter(r => running.has(r.Job) && r.Node === VICTIM && r.Status === 'receiving').length === 2
      }, { timeoutMs: 10_000, intervalMs: 20, what: 'both queries to be receiving the victim\'s rows' })
      // what this test is about: the victim has not handed its whole answer to the transport (its sub-queries run)
      assert.equal(await subqueriesRunning(VICTIM), 2, 'the victim is still answering both queries when it fails')
      fail(failure)
      try {
        const [p, s] = await Promise.all([plain.finish(), subset.finish()])
        const limit = STREAM_DEADLINE_S * 1000 + MARGIN_MS
        // without subset: the stream (its status already sent) ends with an error record naming the victim
        const last = JSON.parse(p.lines[p.lines.length - 1] ?? '{}') as { Error?: { code: string, local_msg: string } }
        assert.ok(last.Error !== undefined, `${failure}, subset = false: ends with an error record: ${p.lines.slice(-1).join('').slice(0, 300)}`)
        assert.ok(['NETWORK_OPERATOR_TIMEOUT', 'NETWORK_OPERATOR_UNREACHABLE', 'METADATA_STREAM_RESET', 'SUBQUERY_PROTOCOL', 'METADATA_STREAM_CANCELLED'].includes(last.Error.code), `${failure}: ${JSON.stringify(last.Error)}`)
        assert.match(last.Error.local_msg, new RegExp(VICTIM), `${failure}, subset = false: names the victim`)
        assert.ok(p.elapsedMs < limit, `${failure}, subset = false: ended after ${Math.round(p.elapsedMs)} ms, the deadline is ${STREAM_DEADLINE_S} s`)
        // with subset: every row of the healthy operators, some of the victim's, and statistics saying who answered
        assert.equal(s.status, 200)
        const stats = (JSON.parse(s.lines[s.lines.length - 1] ?? '{}') as { Statistics?: Array<Record<string, number>> }).Statistics?.[0]
        assert.ok(stats !== undefined, `${failure}, subset = true: ends with statistics: ${s.lines.slice(-1).join('').slice(0, 300)}`)
        assert.equal(stats['Target Nodes'], 3)
        assert.equal(stats['Participating Nodes'], 2)
        const pids = new Set(s.lines.slice(0, -1).map(l => (JSON.parse(l) as { pid: number }).pid))
        const missing = Array.from({ length: 2 * ROWS }, (_, i) => i).filter(pid => !pids.has(pid))
        assert.deepEqual(missing.slice(0, 5), [], `${failure}, subset = true: every healthy operator's row (${missing.length} missing)`)
        assert.ok(pids.size < TOTAL, `${failure}, subset = true: not all of the victim's rows`)
        assert.ok(s.elapsedMs < limit, `${failure}, subset = true: ended after ${Math.round(s.elapsedMs)} ms, the deadline is ${STREAM_DEADLINE_S} s`)
        measured.push(`${failure} during: stream failed after ${Math.round(p.elapsedMs)} ms (${last.Error.code}), subset ended after ${Math.round(s.elapsedMs)} ms with ${pids.size - 2 * ROWS} of the victim's ${VICTIM_ROWS} rows`)
      } finally {
        await restore(failure)
      }
    })
  }

  for (const failure of ['kill', 'freeze', 'cutoff'] as const) {
    it(`${failure} before the query: fails naming the victim within the deadline, subset answers without it, then both fast once liveness lost it`, async () => {
      const failedAt = performance.now()
      fail(failure)
      const noticing = lossNoticedAfter(failedAt)
      noticing.catch(() => undefined)
      try {
      // the first queries: the liveness view still has the victim as active
      const plain = await ask(COUNT, false)
      assertFailedNamingVictim(plain, ['NETWORK_OPERATOR_TIMEOUT', 'METADATA_PEER_UNREACHABLE', 'NETWORK_OPERATOR_UNREACHABLE', 'SUBQUERY_PROTOCOL', 'METADATA_STREAM_CANCELLED'], `${failure}, subset = false`)
      const subset = await ask(COUNT, true)
      assertSubsetWithoutVictim(subset, `${failure}, subset = true`)
      const noticed = await lossNoticedAfter(failedAt)
      // known lost: no waiting out the deadline
      const fastPlain = await ask(COUNT, false)
      assertFailedNamingVictim(fastPlain, ['NETWORK_OPERATOR_UNREACHABLE', 'METADATA_PEER_UNREACHABLE'], `${failure}, known lost, subset = false`)
      const fastSubset = await ask(COUNT, true)
      assertSubsetWithoutVictim(fastSubset, `${failure}, known lost, subset = true`)
      assert.ok(fastPlain.elapsedMs < DEADLINE_S * 1000 && fastSubset.elapsedMs < DEADLINE_S * 1000, `known lost: ${Math.round(fastPlain.elapsedMs)} / ${Math.round(fastSubset.elapsedMs)} ms, less than the deadline`)
      measured.push(`${failure} before: fail ${Math.round(plain.elapsedMs)} ms (${errorOf(plain).code}), subset ${Math.round(subset.elapsedMs)} ms; ` +
        `liveness lost it after ${Math.round(noticed)} ms; then fail ${Math.round(fastPlain.elapsedMs)} ms (${errorOf(fastPlain).code}), subset ${Math.round(fastSubset.elapsedMs)} ms`)
      } finally {
        await restore(failure)
      }
    })
  }
})
