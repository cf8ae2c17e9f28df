/**
 * Answers when the network misbehaves: a query node and three single-operator clusters, each node in its own
 * network namespace. One operator (the victim) is killed (SIGKILL), frozen (SIGSTOP) or cut off (its link down:
 * packets vanish, no FIN, no RST) before or during a query. The query must fail within its deadline naming the
 * victim, or, with `subset = true`, answer with the others' rows and say so in its statistics; the query node keeps
 * serving; and once the liveness view has lost the victim, queries fail (or leave it out) fast instead of waiting
 * out the deadline. "During" holds a plain SELECT mid-stream: the client stops reading, so every operator is
 * mid-answer (the transport's backpressure) when the victim fails. Needs root and iproute2 (test/helpers/netns.ts).
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

const DEADLINE_S = 3
/** What a reply may take beyond its deadline: the REST reply, process scheduling on a loaded machine. */
const MARGIN_MS = 1500
const REST_PORT = 32349
const P2P_PORT = 32348
const HEALTHY = ['op-a', 'op-b'] as const
const VICTIM = 'victim'
/** Rows per operator: enough that a plain SELECT of them cannot fit in the buffers between operator and client. */
const ROWS = 60_000
const COUNT = 'select count(*) as n from events'
const ALL_ROWS = 'select pod_name, pid, ts from events'

type Failure = 'kill' | 'freeze' | 'cutoff'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

interface Reply { status: number, elapsedMs: number, body: Record<string, unknown>, text: string }

function rows (from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ pod_name: `pod-${(from + i) % 7}`, pid: from + i, ts: '2026-01-01 10:00:00' })).join('\n')
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

  /** Every operator answers, and the liveness view has all of them active. */
  const healthy = async (what: string): Promise<void> => {
    await waitFor(async () => {
      const reply = await ask(COUNT, false)
      return reply.status === 200 && countOf(reply) === 3 * ROWS && statistics(reply).Nodes === 3 && await victimStatus() === 'active'
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
      const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'fail', table: 'events' }, body: rows(i * ROWS, ROWS) })
      assert.equal(res.status, 200, await res.text())
    }
    await healthy('all three operators to answer')
  })

  after(() => { if (measured.length > 0) console.log(`# measured:\n${measured.map(m => `#   ${m}`).join('\n')}`) })

  for (const failure of ['kill', 'freeze', 'cutoff'] as const) {
    it(`${failure} before the query: fails naming the victim within the deadline, subset answers without it, then both fast once liveness lost it`, async () => {
      const failedAt = performance.now()
      fail(failure)
      const noticing = lossNoticedAfter(failedAt)
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
