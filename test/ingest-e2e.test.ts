/**
 * Issue-level end-to-end tests of ingestion: a real KubeArmor simulator over gRPC on loopback and a
 * `fedlake node --roles operator` process, queried through its REST API.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import type { KubeArmorStream } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator, SimulatedEvent } from '@fedlake/kubearmor-sim'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { bytesField, message, varintField } from './helpers/protobuf.js'

const TABLE: Record<KubeArmorStream, string> = { logs: 'logs', alerts: 'alert', messages: 'message' }
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

function operatorArgs (dataDir: string, sources: string[], extra: string[] = []): string[] {
  return ['node', '--roles', 'operator', '--name', 'op-e2e', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dataDir,
    ...(sources.length > 0 ? ['--kubearmor', sources.join(',')] : []), ...extra]
}

async function startSim (init: Parameters<typeof createKubeArmorSimulator>[0]): Promise<KubeArmorSimulator> {
  const sim = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, ...init })
  await sim.start()
  cleanups.push(async () => { await sim.stop() })
  return sim
}

async function startOperator (args: string[]): Promise<Child> {
  const child = await startFedlake(args)
  cleanups.push(async () => { await child.stop('SIGKILL') })
  return child
}

async function count (url: string, table: string, where = ''): Promise<number> {
  const rows = await localQuery(url, 'kubearmor', `select count(*) as n from ${table} ${where}`)
  return Number(rows[0]?.n ?? 0)
}

/** Counts per table, 0 for a table not created yet. */
async function counts (url: string): Promise<Record<KubeArmorStream, number>> {
  const out: Record<string, number> = {}
  for (const [stream, table] of Object.entries(TABLE)) {
    try { out[stream] = await count(url, table) } catch { out[stream] = 0 }
  }
  return out as Record<KubeArmorStream, number>
}

function ts (epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('T', ' ').replace('Z', '').replace(/\.\d{3}$/, '.000000')
}

/** The row design.md §3.3 says an event becomes (absent text '', absent integers 0). */
function expectedRow (stream: KubeArmorStream, e: Record<string, unknown>): Record<string, unknown> {
  const s = (k: string): string => (e[k] as string | undefined) ?? ''
  const n = (k: string): number => (e[k] as number | undefined) ?? 0
  const owner = (e.Owner ?? {}) as Record<string, string | undefined>
  const times = { timestamp: ts(n('Timestamp')), updated_timestamp: s('UpdatedTime').replace('T', ' ').replace('Z', '') }
  if (stream === 'messages') {
    return { ...times, cluster_name: s('ClusterName'), hostname: s('HostName'), host_ip: s('HostIP'), type: s('Type'), level: s('Level'), message: s('Message') }
  }
  const row: Record<string, unknown> = {
    ...times,
    cluster_name: s('ClusterName'),
    hostname: s('HostName'),
    namespace: s('NamespaceName'),
    owner_ref: owner.Ref ?? '',
    owner_name: owner.Name ?? '',
    owner_namespace: owner.Namespace ?? '',
    pod_name: s('PodName'),
    labels: s('Labels'),
    container_id: s('ContainerID'),
    container_name: s('ContainerName'),
    container_image: s('ContainerImage'),
    host_ppid: n('HostPPID'),
    host_pid: n('HostPID'),
    ppid: n('PPID'),
    pid: n('PID'),
    uid: n('UID'),
    parent_process_name: s('ParentProcessName'),
    process_name: s('ProcessName'),
    type: s('Type'),
    source: s('Source'),
    operation: s('Operation'),
    resource: s('Resource'),
    data: s('Data'),
    result: s('Result'),
    cwd: s('Cwd'),
    tty: s('TTY'),
    node_id: s('NodeID'),
    user_name: s('UserName')
  }
  if (stream === 'alerts') {
    Object.assign(row, {
      policy_name: s('PolicyName'),
      severity: s('Severity') === '' ? 0 : Number(s('Severity')),
      tag: s('Tags'),
      atag: ((e.ATags as string[] | undefined) ?? []).join(','),
      message: s('Message'),
      enforcer: s('Enforcer'),
      action: s('Action')
    })
  }
  return row
}

describe('KubeArmor ingestion end to end', { timeout: 240_000 }, () => {
  it('stores exactly what a --count 50000 simulator sent, field by field', async () => {
    const dir = tempDir('e2e-count')
    cleanups.push(() => { dir.remove() })
    const sim = await startSim({ count: 50_000, seed: 42, nodes: 3, pods: 12, debug: true, mix: { logs: 0.85, alerts: 0.12, messages: 0.03 }, record: true })
    const op = await startOperator(operatorArgs(dir.path, [sim.address]))
    const url = op.ready.rest ?? ''
    await sim.whenCountReached()
    const sent = (): Record<KubeArmorStream, number> => {
      const st = sim.stats().streams
      return { logs: st.logs.sent, alerts: st.alerts.sent, messages: st.messages.sent }
    }
    await waitFor(async () => {
      const c = await counts(url)
      const want = sent()
      return c.logs === want.logs && c.alerts === want.alerts && c.messages === want.messages
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'row counts to equal the simulator\'s sent counters' })
    const want = sent()
    assert.equal(want.logs + want.alerts + want.messages + sim.stats().dropped, 50_000, 'every generated event was sent or counted as dropped')
    assert.ok(want.logs > 0 && want.alerts > 0 && want.messages > 0)
    assert.equal(await count(url, 'rejects').catch(() => 0), 0, 'no realistic event is rejected')

    const events = sim.recorded()
    const picks: SimulatedEvent[] = []
    for (const stream of ['logs', 'alerts', 'messages'] as const) {
      const ofStream = events.filter(e => e.stream === stream && e.sent)
      for (let i = 0; i < 8; i++) picks.push(ofStream[Math.floor((i + 0.5) * ofStream.length / 8)] as SimulatedEvent)
    }
    for (const pick of picks) {
      const e = pick.event as Record<string, unknown>
      const expected = expectedRow(pick.stream, e)
      const rows = await localQuery(url, 'kubearmor',
        `select * exclude (timestamp, updated_timestamp), strftime(timestamp, '%Y-%m-%d %H:%M:%S.%f') as timestamp, strftime(updated_timestamp, '%Y-%m-%d %H:%M:%S.%f') as updated_timestamp from ${TABLE[pick.stream]} where updated_timestamp = '${expected.updated_timestamp as string}' and hostname = '${expected.hostname as string}'`)
      assert.ok(rows.some(r => Object.keys(expected).every(k => r[k] === expected[k])),
        `event #${pick.seq} (${pick.stream}) stored field by field\nexpected ${JSON.stringify(expected)}\ngot ${JSON.stringify(rows)}`)
    }
    const status = await restCommand(url, 'get grpc client where format = json')
    assert.equal(status.status, 200)
    const clients = status.json() as Array<Record<string, unknown>>
    assert.equal(clients.length, 3)
    await op.stop()
  })

  it('reconnects to a restarted simulator, and keeps every committed row across a SIGTERM restart', async () => {
    const dir = tempDir('e2e-restart')
    cleanups.push(() => { dir.remove() })
    const sim = await startSim({ rate: 1500, seed: 5, nodes: 2, pods: 6 })
    let op = await startOperator(operatorArgs(dir.path, [sim.address]))
    let url = op.ready.rest ?? ''
    await waitFor(async () => await count(url, 'logs').catch(() => 0) >= 500, { timeoutMs: 30_000, what: 'first rows' })
    const beforeRestart = await count(url, 'logs')
    const restartedAt = new Date().toISOString().replace('T', ' ').replace('Z', '')
    await sim.restart()
    await waitFor(async () => await count(url, 'logs', `where updated_timestamp > '${restartedAt}'`) >= 300,
      { timeoutMs: 30_000, what: 'rows generated after the simulator restart' })
    assert.ok(await count(url, 'logs') >= beforeRestart + 300, 'rows committed before the restart are still there')
    const clients = (await restCommand(url, 'get grpc client where format = json')).json() as Array<Record<string, unknown>>
    assert.ok(clients.every(c => c.Status === 'Active'), JSON.stringify(clients))

    const acknowledged = await count(url, 'logs')
    assert.equal(await op.stop('SIGTERM'), 0, 'graceful exit on SIGTERM')
    op = await startOperator(operatorArgs(dir.path, []))
    url = op.ready.rest ?? ''
    assert.ok(await count(url, 'logs') >= acknowledged, 'no acknowledged row lost across the restart')
    await op.stop()
  })

  it('flushes every received row on SIGTERM, even rows still buffered', async () => {
    const dir = tempDir('e2e-flush')
    cleanups.push(() => { dir.remove() })
    const config = join(dir.path, 'config.json')
    writeFileSync(config, JSON.stringify({ ingest: { flushIntervalMs: 60_000, idleFlushMs: 0, batchRows: 1_000_000 } }))
    const sim = await startSim({ count: 4000, seed: 9, debug: true, mix: { logs: 0.8, alerts: 0.15, messages: 0.05 } })
    let op = await startOperator(operatorArgs(dir.path, [sim.address], ['--config', config]))
    let url = op.ready.rest ?? ''
    await sim.whenCountReached()
    const streaming = async (): Promise<{ received: number, committed: number }> => {
      const body = (await restCommand(url, 'get streaming where format = json')).json() as Array<Record<string, unknown>>
      const total = body.find(r => r.DBMS === '*')
      const c = await counts(url)
      return { received: Number(total?.Buffered ?? 0) + c.logs + c.alerts + c.messages, committed: c.logs + c.alerts + c.messages }
    }
    await waitFor(async () => (await streaming()).received === 4000, { timeoutMs: 30_000, what: 'all 4000 events received' })
    const st = sim.stats().streams
    assert.equal(st.logs.sent + st.alerts.sent + st.messages.sent, 4000)
    assert.equal((await streaming()).committed, 0, 'rows are still buffered (flush interval 60 s, idle flush off)')
    assert.equal(await op.stop('SIGTERM'), 0)
    op = await startOperator(operatorArgs(dir.path, []))
    url = op.ready.rest ?? ''
    assert.deepEqual(await counts(url), { logs: st.logs.sent, alerts: st.alerts.sent, messages: st.messages.sent })
    await op.stop()
  })

  it('puts malformed records in rejects, maps unknown fields, and keeps the stream going', async () => {
    const dir = tempDir('e2e-bad')
    cleanups.push(() => { dir.remove() })
    const sim = await startSim({ rate: 300, seed: 3 })
    const op = await startOperator(operatorArgs(dir.path, [sim.address]))
    const url = op.ready.rest ?? ''
    await waitFor(async () => await count(url, 'logs').catch(() => 0) > 0, { timeoutMs: 30_000, what: 'first rows' })
    const now = Math.floor(Date.now() / 1000)
    const updated = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1123Z')
    // A Log with future field numbers (99 varint, 100 bytes) that older and newer clients must skip.
    sim.injectRaw('logs', message(varintField(1, now), bytesField(2, updated), bytesField(4, 'future-fields-host'), varintField(9, 4242), bytesField(15, 'File'), varintField(99, 7), bytesField(100, 'from the future')))
    // HostPID (field 9) sent as a string: protobuf decoders skip a field with an unexpected wire type.
    sim.injectRaw('logs', message(varintField(1, now), bytesField(4, 'wrong-type-host'), bytesField(9, 'abc')))
    // Not protobuf at all.
    sim.injectRaw('alerts', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
    // A severity that is not a number cannot become the INTEGER column: the record goes to rejects whole.
    sim.inject('alerts', { Timestamp: now, UpdatedTime: updated, HostName: 'bad-severity-host', Severity: 'high' })
    // An alert with most fields missing: maps with defaults.
    sim.inject('alerts', { Timestamp: now, UpdatedTime: updated, HostName: 'sparse-alert-host' })
    const before = await count(url, 'logs')
    await waitFor(async () => await count(url, 'rejects').catch(() => 0) >= 2, { timeoutMs: 20_000, what: 'two rejects rows' })
    const rejects = await localQuery(url, 'kubearmor', 'select stream, error, raw from rejects order by time')
    assert.equal(rejects.length, 2)
    assert.ok(rejects.every(r => r.stream === 'alerts' && String(r.error).length > 0))
    assert.ok(rejects.some(r => String(r.raw).startsWith('base64:')), 'undecodable bytes kept as base64')
    assert.ok(rejects.some(r => String(r.raw).includes('bad-severity-host') && /severity/i.test(String(r.error))), JSON.stringify(rejects))
    await waitFor(async () => (await localQuery(url, 'kubearmor', 'select count(*) as n from logs where hostname in (\'future-fields-host\', \'wrong-type-host\')'))[0]?.n === 2, { what: 'the two odd logs' })
    const future = await localQuery(url, 'kubearmor', 'select host_pid, operation from logs where hostname = \'future-fields-host\'')
    assert.deepEqual(future, [{ host_pid: 4242, operation: 'File' }], 'unknown future fields are skipped')
    const wrongType = await localQuery(url, 'kubearmor', 'select host_pid from logs where hostname = \'wrong-type-host\'')
    assert.deepEqual(wrongType, [{ host_pid: 0 }], 'a known field with the wrong wire type is skipped, as protobuf does')
    await waitFor(async () => (await localQuery(url, 'kubearmor', 'select count(*) as n from alert where hostname = \'sparse-alert-host\''))[0]?.n === 1, { what: 'sparse alert row' })
    const sparse = await localQuery(url, 'kubearmor', 'select severity, pod_name, host_pid from alert where hostname = \'sparse-alert-host\'')
    assert.equal(sparse[0]?.pod_name, '')
    assert.equal(sparse[0]?.host_pid, 0)
    await waitFor(async () => await count(url, 'logs') > before + 50, { timeoutMs: 20_000, what: 'the stream to go on after bad records' })
    await op.stop()
  })
})
