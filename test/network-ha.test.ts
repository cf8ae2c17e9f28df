/**
 * High availability inside a cluster: two operators of one cluster hold the same events (as two subscribers of
 * one KubeArmor relay would), a third operator holds its own. A query asks one member per cluster; when that
 * member dies mid-query, the query moves to the other member and the answer is still complete.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

async function startNode (name: string, roles: string, cluster: string, seeds: string[]): Promise<Child> {
  const dir = tempDir(`ha-${name}`)
  cleanups.push(() => { dir.remove() })
  const child = await startFedlake(['node', '--name', name, '--roles', roles, '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path,
    '--cluster', cluster, ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : [])])
  cleanups.push(async () => { await child.stop('SIGKILL') })
  return child
}

function rows (from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ pod_name: `pod-${(from + i) % 5}`, pid: from + i, ts: '2026-01-01 10:00:00' })).join('\n')
}

async function put (node: Child, body: string): Promise<void> {
  const res = await fetch(node.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'ha', table: 'events' }, body })
  assert.equal(res.status, 200, await res.text())
}

interface Answer { status: number, pods: Record<string, number>, nodes: number, text: string }

async function podCounts (url: string, timeout = '15'): Promise<Answer> {
  const reply = await restCommand(url, 'sql ha format=json "select pod_name, count(*) as n, sum(pid) as s from events group by pod_name order by pod_name"', { headers: { destination: 'network', timeout } })
  if (reply.status !== 200) return { status: reply.status, pods: {}, nodes: 0, text: reply.text }
  const body = reply.json() as { Query: { pod_name: string, n: number }[], Statistics: { Nodes: number }[] }
  return { status: 200, pods: Object.fromEntries(body.Query.map(r => [r.pod_name, r.n])), nodes: body.Statistics[0]?.Nodes ?? 0, text: reply.text }
}

describe('a cluster of two operators holding the same events', { timeout: 300_000 }, () => {
  let query: Child
  let memberA: Child
  let memberB: Child
  let url = ''
  let expected: Answer

  before(async () => {
    query = await startNode('query-1', 'query', 'none', [])
    url = query.ready.rest ?? ''
    const seed = query.ready.p2p ?? ''
    ;[memberA, memberB] = await Promise.all([startNode('member-a', 'operator', 'edge-ha', [seed]), startNode('member-b', 'operator', 'edge-ha', [seed])])
    const other = await startNode('other', 'operator', 'edge-other', [seed])
    const shared = rows(0, 3000)
    await put(memberA, shared)
    await put(memberB, shared)
    await put(other, rows(10_000, 1000))
    await waitFor(async () => {
      const nodes = (await restCommand(url, 'get data nodes where format = json')).json() as Array<Record<string, unknown>>
      return new Set(nodes.filter(n => n.Table === 'events').map(n => n['Node Name'])).size === 3
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'the query node to know all three operators hold ha.events' })
    expected = await waitFor(async () => { const a = await podCounts(url); return a.status === 200 && a.nodes === 2 ? a : undefined }, { timeoutMs: 20_000 })
  })

  it('asks one member of the cluster, not both: the counts are not doubled', () => {
    assert.equal(Object.values(expected.pods).reduce((a, b) => a + b, 0), 4000)
    assert.equal(expected.nodes, 2, 'two clusters answered')
  })

  it('moves to the other member when the one asked dies mid-query, and the answer stays complete', async () => {
    memberA.proc.kill('SIGSTOP')
    const answers: Answer[] = []
    const pending = podCounts(url, '30')
    setTimeout(() => { memberA.proc.kill('SIGKILL') }, 800)
    answers.push(await pending)
    for (let i = 0; i < 4; i++) answers.push(await podCounts(url, '30'))
    for (const answer of answers) {
      assert.equal(answer.status, 200, answer.text)
      assert.deepEqual(answer.pods, expected.pods, 'the same answer as before the kill')
    }
    const log = (await restCommand(url, 'query status all where format = json')).json() as Array<Record<string, unknown>>
    const attempts = log.filter(r => r.Node === 'member-a' || r.Node === 'member-b')
    assert.ok(attempts.some(r => r.Node === 'member-a' && r.Status === 'failed'), 'a query met the dead member')
    assert.ok(attempts.some(r => r.Node === 'member-b' && r.Status === 'completed'), 'and the other member answered')
    void memberB
  })
})
