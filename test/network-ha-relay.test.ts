/**
 * High availability inside a cluster, fed as in production: two operators of one cluster subscribe to the same
 * KubeArmor relay (one `fedlake kubearmor-sim --profile relay`), so they hold the same events. A query asks one of
 * them; killed mid-query, the query moves to the other and the answer is unchanged. KubeArmor does not replay, so
 * the restarted member lacks the events of its downtime for good: "the same data" is the same events over the time
 * both members were ingesting. Each member publishes an ingest watermark (the event time from which it holds every
 * event), and the query node sends a query to a member whose watermark covers the query's time range; `query
 * explain` says which member and why.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

const MEMBERS = ['member-a', 'member-b'] as const

/** 'YYYY-MM-DD HH:MM:SS' (UTC) of epoch ms. */
function sqlTime (ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

function byPodIn (from: number, to: number): string {
  return `select pod_name, count(*) as n from logs where timestamp >= '${sqlTime(from)}' and timestamp < '${sqlTime(to)}' group by pod_name order by pod_name`
}

type PodCounts = Record<string, number>

function podCounts (rows: readonly Record<string, unknown>[]): PodCounts {
  return Object.fromEntries(rows.map(r => [String(r.pod_name), Number(r.n)]))
}

describe('two operators of one cluster subscribed to one KubeArmor relay', { timeout: 300_000 }, () => {
  let url = ''
  let seed = ''
  let sim: Child
  const members = new Map<string, Child>()
  const dataDirs = new Map<string, string>()

  const startMember = async (name: string): Promise<Child> => {
    const child = await startFedlake(['node', '--name', name, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dataDirs.get(name) ?? '',
      '--cluster', 'edge-ha', '--seeds', seed, '--kubearmor', sim.ready.address ?? ''])
    cleanups.push(async () => { await child.stop('SIGKILL') })
    members.set(name, child)
    return child
  }

  /** The network answer over [from, to), and the member that gave it. */
  const ask = async (from: number, to: number, timeout = '30'): Promise<{ status: number, pods: PodCounts, text: string }> => {
    const reply = await restCommand(url, `sql kubearmor format=json and stat=false "${byPodIn(from, to)}"`, { headers: { destination: 'network', timeout } })
    if (reply.status !== 200) return { status: reply.status, pods: {}, text: reply.text }
    return { status: 200, pods: podCounts((reply.json() as { Query: Record<string, unknown>[] }).Query), text: reply.text }
  }

  const local = async (name: string, from: number, to: number): Promise<PodCounts> =>
    podCounts(await localQuery(members.get(name)?.ready.rest ?? '', 'kubearmor', byPodIn(from, to)))

  /** The newest event time a member has committed. */
  const newest = async (name: string): Promise<number> => {
    const rows = await localQuery(members.get(name)?.ready.rest ?? '', 'kubearmor', 'select max(timestamp) as t from logs').catch(() => [])
    const t = rows[0]?.t
    return typeof t === 'string' ? Date.parse(`${t.replace(' ', 'T')}Z`) : 0
  }

  /** Both members have committed every event before `t` (they hold a later one). */
  const committedPast = async (t: number): Promise<void> => {
    await waitFor(async () => (await Promise.all(MEMBERS.map(newest))).every(n => n >= t + 1000), { timeoutMs: 60_000, intervalMs: 200, what: `both members to hold events past ${sqlTime(t)}` })
  }

  /** The logs watermark each member's operator policy carries, as the query node sees it. */
  const watermarks = async (): Promise<Record<string, number | null | undefined>> => {
    const policies = (await restCommand(url, 'blockchain get operator')).json() as Array<{ operator: { name: string, ingest_since?: Record<string, string | null> } }>
    return Object.fromEntries(policies.map(p => {
      const since = p.operator.ingest_since?.['kubearmor.logs']
      return [p.operator.name, since === undefined || since === null ? since : Date.parse(since)]
    }))
  }

  /** Which members answered the last `count` queries (from the query log). */
  const answeredBy = async (count: number): Promise<string[]> => {
    const log = (await restCommand(url, 'query status all where format = json')).json() as Array<{ Job: number, Node: string, Status: string }>
    const jobs = [...new Set(log.map(r => r.Job))].sort((a, b) => a - b).slice(-count)
    return jobs.map(job => log.find(r => r.Job === job && r.Status === 'completed' && r.Node !== '*')?.Node ?? '(none)')
  }

  let sinceBoth = 0
  let stableTo = 0
  let expected: PodCounts = {}

  before(async () => {
    // the relay starts generating once both members subscribed: their first events, and so their watermarks, agree
    sim = await startFedlake(['kubearmor-sim', '--port', '0', '--profile', 'relay', '--rate', '40', '--seed', '5', '--pods', '4', '--cluster', 'edge-ha',
      '--wait-for', 'logs,logs'])
    cleanups.push(async () => { await sim.stop('SIGKILL') })
    const query = await startFedlake(['node', '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', (() => { const d = tempDir('ha-relay-query'); cleanups.push(() => { d.remove() }); return d.path })()])
    cleanups.push(async () => { await query.stop('SIGKILL') })
    url = query.ready.rest ?? ''
    seed = query.ready.p2p ?? ''
    for (const name of MEMBERS) {
      const dir = tempDir(`ha-relay-${name}`)
      cleanups.push(() => { dir.remove() })
      dataDirs.set(name, dir.path)
    }
    await Promise.all(MEMBERS.map(startMember))
    const marks = await waitFor(async () => {
      const w = await watermarks()
      return MEMBERS.every(m => typeof w[m] === 'number') ? w : undefined
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'both members to publish their ingest watermark' })
    sinceBoth = Math.max(...MEMBERS.map(m => marks[m] as number))
    stableTo = sinceBoth + 4000
    await committedPast(stableTo)
    await waitFor(async () => {
      const nodes = (await restCommand(url, 'get data nodes where format = json')).json() as Array<Record<string, string>>
      return nodes.filter(n => n.Table === 'logs' && n['Node Status'] === 'active').length === 2
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'the query node to see both members holding kubearmor.logs' })
    const first = await ask(sinceBoth, stableTo)
    assert.equal(first.status, 200, first.text)
    expected = first.pods
  })

  it('gives both members the same watermark and the same events over the time both ingested', async () => {
    const marks = await watermarks()
    assert.equal(marks['member-a'], marks['member-b'], 'subscribed before the relay generated anything, both hold it from its first event')
    assert.ok(Object.values(expected).reduce((a, b) => a + b, 0) > 0, 'events in the range')
    assert.deepEqual(await local('member-a', sinceBoth, stableTo), expected)
    assert.deepEqual(await local('member-b', sinceBoth, stableTo), expected)
  })

  it('moves a query to the other member when the one asked dies mid-query; the answer is unchanged', async () => {
    const victim = members.get('member-a') as Child
    victim.proc.kill('SIGSTOP')
    // two queries at once: the members take turns, so one of them waits on the frozen member when it is killed
    const pending = [ask(sinceBoth, stableTo), ask(sinceBoth, stableTo)]
    setTimeout(() => { victim.proc.kill('SIGKILL') }, 800)
    const answers = [...await Promise.all(pending), await ask(sinceBoth, stableTo), await ask(sinceBoth, stableTo)]
    for (const answer of answers) {
      assert.equal(answer.status, 200, answer.text)
      assert.deepEqual(answer.pods, expected, 'the same answer as before the kill')
    }
    const log = (await restCommand(url, 'query status all where format = json')).json() as Array<{ Job: number, Node: string, Status: string }>
    const failedOnA = new Set(log.filter(r => r.Node === 'member-a' && r.Status === 'failed').map(r => r.Job))
    assert.ok(failedOnA.size > 0, 'a query met the dead member')
    assert.ok(log.some(r => failedOnA.has(r.Job) && r.Node === 'member-b' && r.Status === 'completed'), 'and the same query was answered by the other member')
  })

  it('after a restart, sends queries reaching into the member\'s downtime to the other member, and shares the rest', async () => {
    const killedAt = await newest('member-b')
    await startMember('member-a')
    // the restarted member's watermark moves to its first event after the restart
    const restartedSince = await waitFor(async () => {
      const w = (await watermarks())['member-a']
      return typeof w === 'number' && w > stableTo ? w : undefined
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'the restarted member to publish its new watermark' })
    const bothTo = restartedSince + 4000
    await committedPast(bothTo)
    await waitFor(async () => {
      const nodes = (await restCommand(url, 'get data nodes where format = json')).json() as Array<Record<string, string>>
      return nodes.filter(n => n.Table === 'logs' && n['Node Status'] === 'active').length === 2
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'the query node to see the restarted member active' })

    // what it missed while down is gone for good (KubeArmor does not replay): the members differ there...
    const gapB = await local('member-b', stableTo, restartedSince)
    const gapA = await local('member-a', stableTo, restartedSince)
    const total = (p: PodCounts): number => Object.values(p).reduce((a, b) => a + b, 0)
    assert.ok(total(gapA) < total(gapB), `the restarted member lacks its downtime's events (${total(gapA)} < ${total(gapB)}, killed near ${sqlTime(killedAt)})`)

    // ...so every query reaching into that time goes to the member that holds it all
    for (const [from, to] of [[sinceBoth, stableTo], [stableTo, restartedSince], [sinceBoth, bothTo]] as const) {
      const reference = await local('member-b', from, to)
      for (let i = 0; i < 3; i++) {
        const answer = await ask(from, to)
        assert.equal(answer.status, 200, answer.text)
        assert.deepEqual(answer.pods, reference, `[${sqlTime(from)}, ${sqlTime(to)}): the complete member's answer`)
      }
      assert.deepEqual(await answeredBy(3), ['member-b', 'member-b', 'member-b'], `[${sqlTime(from)}, ${sqlTime(to)}) reaches before the restarted member's watermark`)
    }

    // over the time both were ingesting, both hold the same events, and the members share the queries again
    const shared = await local('member-b', restartedSince, bothTo)
    assert.deepEqual(await local('member-a', restartedSince, bothTo), shared, 'the same events since the restart')
    for (let i = 0; i < 4; i++) {
      const answer = await ask(restartedSince, bothTo)
      assert.equal(answer.status, 200, answer.text)
      assert.deepEqual(answer.pods, shared)
    }
    assert.deepEqual(new Set(await answeredBy(4)), new Set(MEMBERS), 'both members answer queries within both watermarks')

    // query explain names the member chosen per cluster and why
    const explain = async (from: number, to: number): Promise<string> => {
      const reply = await restCommand(url, `query explain sql kubearmor "${byPodIn(from, to)}"`)
      assert.equal(reply.status, 200, reply.text)
      return reply.text
    }
    assert.match(await explain(stableTo, restartedSince), new RegExp(`cluster \\S+: member-b \\(ingest watermark member-b \\S+ covers the range from ${new Date(stableTo).toISOString().slice(0, 19)}`))
    assert.match(await explain(restartedSince, bothTo), /cluster \S+: member-[ab] \(ingest watermark member-[ab] \S+, member-[ab] \S+ covers the range from .*; in turn among 2\)/)
    assert.match(await explain(sinceBoth - 3_600_000, stableTo),
      /cluster \S+: member-b \(fallback: no live member's watermark covers the range from \S+; the member holding kubearmor\.logs the longest \(watermark \S+\); (the only one|the main operator)\)/)
  })
})
