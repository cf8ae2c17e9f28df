/**
 * GET /metrics end to end: an operator and query node fed by a KubeArmor simulator over gRPC is scraped as
 * Prometheus would: the ingest counters follow the events, the network query counters follow the queries.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { metricTypes, parsePrometheusText, samplesOf, sumOf } from './helpers/prometheus.js'
import type { PromSample } from './helpers/prometheus.js'

const EVENTS = 3000
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

async function scrape (url: string): Promise<{ status: number, contentType: string, text: string, samples: PromSample[] }> {
  const res = await fetch(new URL('/metrics', url))
  const text = await res.text()
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, samples: res.status === 200 ? parsePrometheusText(text) : [] }
}

describe('GET /metrics', () => {
  let node: Child
  let url: string

  before(async () => {
    const sim = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, count: EVENTS, seed: 7, nodes: 2, pods: 6, mix: { logs: 0.8, alerts: 0.2 } })
    await sim.start()
    cleanups.push(async () => { await sim.stop() })
    const dir = tempDir('metrics')
    cleanups.push(() => { dir.remove() })
    node = await startFedlake(['node', '--name', 'op-metrics', '--roles', 'operator,query', '--rest-port', '0', '--p2p-port', '0',
      '--data-dir', dir.path, '--cluster', 'metrics-cluster', '--kubearmor', sim.address])
    cleanups.push(async () => { await node.stop('SIGKILL') })
    url = node.ready.rest ?? ''
    await sim.whenCountReached()
  })

  it('shows the ingest of a KubeArmor feed: events per stream, rows committed per table, lag, DuckDB files', async () => {
    // every event of the simulator committed (the counters are read from the pipeline at scrape time)
    const { samples, text, contentType } = await waitFor(async () => {
      const s = await scrape(url)
      return sumOf(s.samples, 'fedlake_ingest_rows_committed_total', { dbms: 'kubearmor' }) >= EVENTS ? s : undefined
    }, { timeoutMs: 30_000, intervalMs: 200, what: `${EVENTS} rows committed` })
    assert.match(contentType, /^text\/plain; version=0\.0\.4/)
    const logs = sumOf(samples, 'fedlake_kubearmor_events_received_total', { stream: 'logs' })
    const alerts = sumOf(samples, 'fedlake_kubearmor_events_received_total', { stream: 'alerts' })
    assert.ok(logs > 0 && alerts > 0, `events per stream: logs ${logs}, alerts ${alerts}`)
    assert.equal(logs + alerts, EVENTS)
    assert.equal(sumOf(samples, 'fedlake_ingest_rows_committed_total', { table: 'logs' }), logs)
    assert.equal(sumOf(samples, 'fedlake_ingest_rows_committed_total', { table: 'alert' }), alerts)
    // the network's ingest, per operator: this node is its only operator
    assert.equal(sumOf(samples, 'fedlake_network_ingest_rows_committed_total', { node: 'op-metrics' }), logs + alerts)
    assert.equal(sumOf(samples, 'fedlake_network_ingest_rows_dropped_total'), 0)
    assert.equal(sumOf(samples, 'fedlake_kubearmor_events_rejected_total'), 0)
    assert.equal(sumOf(samples, 'fedlake_ingest_rows_dropped_total'), 0)
    assert.equal(samplesOf(samples, 'fedlake_ingest_lag_seconds', { table: 'logs' }).length, 1)
    assert.equal(samplesOf(samples, 'fedlake_kubearmor_subscription_active', { stream: 'logs' })[0]?.value, 1)
    assert.ok(sumOf(samples, 'fedlake_duckdb_file_bytes', { dbms: 'kubearmor', file: 'database' }) > 0, 'kubearmor.duckdb has a size')
    assert.equal(sumOf(samples, 'fedlake_node_ready'), 1)
    assert.ok(sumOf(samples, 'fedlake_metadata_policies') > 0, 'the node holds its own table and cluster policies')
    assert.ok(samplesOf(samples, 'fedlake_metadata_peers_connected').length === 1)
    assert.ok(sumOf(samples, 'process_resident_memory_bytes') > 0, 'prom-client default process metrics')
    const types = metricTypes(text)
    assert.equal(types.get('fedlake_ingest_rows_committed_total'), 'counter')
    assert.equal(types.get('fedlake_ingest_lag_seconds'), 'gauge')
    assert.equal(types.get('fedlake_network_query_duration_seconds'), 'histogram')
  })

  it('counts network queries by status, their latency and the sub-queries per operator', async () => {
    const before = (await scrape(url)).samples
    const completedBefore = sumOf(before, 'fedlake_network_queries_total', { status: 'completed' })
    const ok = await restCommand(url, 'sql kubearmor format=json "select operation, count(*) as n from logs group by operation"', { headers: { destination: 'network' } })
    assert.equal(ok.status, 200, ok.text)
    const bad = await restCommand(url, 'sql kubearmor format=json "select no_such_column from logs"', { headers: { destination: 'network' } })
    assert.ok(bad.status >= 400, bad.text)
    const { samples } = await scrape(url)
    assert.equal(sumOf(samples, 'fedlake_network_queries_total', { status: 'completed' }), completedBefore + 1)
    assert.ok(sumOf(samples, 'fedlake_network_queries_total', { status: 'failed' }) >= 1)
    assert.equal(sumOf(samples, 'fedlake_network_queries_running'), 0)
    const count = sumOf(samples, 'fedlake_network_query_duration_seconds_count')
    assert.ok(count >= 2, `histogram count ${count}`)
    assert.equal(samplesOf(samples, 'fedlake_network_query_duration_seconds_bucket', { le: '+Inf' })[0]?.value, count)
    assert.ok(sumOf(samples, 'fedlake_network_query_duration_seconds_sum') > 0)
    assert.ok(sumOf(samples, 'fedlake_network_subqueries_total', { node: 'op-metrics' }) >= 1, 'the sub-query sent to the operator')
    assert.equal(samplesOf(samples, 'fedlake_network_subquery_errors_total', { node: 'op-metrics' }).length, 1)
  })

  it('leaves POST /metrics to other routes (Grafana\'s datasource)', async () => {
    const res = await fetch(new URL('/metrics', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    await res.text()
    assert.doesNotMatch(res.headers.get('content-type') ?? '', /version=0\.0\.4/)
  })
})
