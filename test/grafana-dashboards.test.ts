/**
 * The shipped Grafana dashboards (grafana/dashboards/*.json) replayed as Grafana would against a real network: a
 * query node and two operator processes, each operator fed by its own KubeArmor simulator. Requests are built
 * with Grafana's own range and interval functions (@grafana/data), template variables are resolved through
 * /variable and interpolated as Grafana does, and every reply goes through Grafana's toDataFrame. Each panel must
 * get the fields and types its visualisation needs, with data.
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { DataFrame, Field } from '@grafana/data'
import {
  dashboardPanels, errorMessage, GRAFANA_USER_AGENT, grafanaPost, panelRequest, resolveVariables, toFrames
} from './helpers/grafana-emulator.js'
import type { Dashboard, DashboardPanel, Variables } from './helpers/grafana-emulator.js'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const DASHBOARDS_DIR = new URL('../grafana/dashboards/', import.meta.url)
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

const dashboards: Dashboard[] = readdirSync(DASHBOARDS_DIR).filter(f => f.endsWith('.json')).sort()
  .map(f => JSON.parse(readFileSync(new URL(f, DASHBOARDS_DIR), 'utf8')) as Dashboard)

/** Fields (name, Grafana type) that particular panels must carry besides what their visualisation needs. */
const EXPECTED_FIELDS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  'Alerts Summary': [['timestamp', 'time'], ['pod', 'string'], ['severity', 'number'], ['policy', 'string'], ['action', 'string']],
  'Event Log': [['timestamp', 'time'], ['pod_name', 'string'], ['operation', 'string'], ['resource', 'string']],
  'Alerts per Pod': [['pod_name', 'string'], ['count(*)', 'number']],
  'Nodes and Liveness': [['Node Name', 'string'], ['Node Status', 'string']],
  'Tables and Their Operators': [['Table', 'string'], ['Node Name', 'string'], ['Node Status', 'string']],
  'Recent Network Queries': [['Node', 'string'], ['ms', 'number'], ['Rows', 'number']],
  'Network Query Latency (mean ms)': [['ms', 'number']]
}

const byType = (frame: DataFrame, type: string): Field[] => frame.fields.filter(f => f.type === type)

/** What each visualisation needs of its frames, and that there is data. */
function checkPanel (panel: DashboardPanel, frames: DataFrame[], window: { fromMs: number, toMs: number }): void {
  const where = `${panel.title} (${panel.type})`
  assert.ok(frames.length > 0, `${where}: no frame`)
  for (const frame of frames) {
    assert.ok(frame.length > 0, `${where}: an empty frame (refId ${frame.refId ?? '?'})`)
    for (const f of byType(frame, 'time')) {
      for (const v of f.values) assert.ok(v === null || (typeof v === 'number' && v > Date.UTC(2020, 0, 1) && v < window.toMs + 86_400_000), `${where}: ${f.name} is not epoch ms: ${String(v)}`)
    }
    for (const f of byType(frame, 'number')) {
      for (const v of f.values) assert.ok(v === null || typeof v === 'number', `${where}: ${f.name} holds ${typeof v} ${String(v)}, not a number`)
    }
    switch (panel.type) {
      case 'stat':
        assert.ok(byType(frame, 'number').some(f => f.values.some(v => typeof v === 'number')), `${where}: no numeric value`)
        break
      case 'piechart': case 'bargauge':
        assert.ok(byType(frame, 'string').length >= 1 && byType(frame, 'number').length >= 1, `${where}: needs a label field and a number field, has ${describeFrame(frame)}`)
        break
      case 'timeseries': {
        const [time] = byType(frame, 'time')
        assert.ok(time !== undefined && byType(frame, 'number').length >= 1, `${where}: needs a time field and a number field, has ${describeFrame(frame)}`)
        const times = time.values as number[]
        assert.deepEqual(times, [...times].sort((a, b) => a - b), `${where}: points not in ascending time`)
        assert.ok(times.every(t => t >= window.fromMs - 86_400_000 && t <= window.toMs + 60_000), `${where}: points outside the time range`)
        break
      }
      case 'table':
        assert.ok(frame.fields.length >= 1, `${where}: no field`)
        break
      default:
        assert.fail(`${where}: a panel type this test does not know`)
    }
  }
  for (const [name, type] of EXPECTED_FIELDS[panel.title] ?? []) {
    const field = frames.flatMap(f => f.fields).find(f => f.name === name)
    assert.ok(field !== undefined, `${where}: no field ${name} (has ${frames.map(describeFrame).join(' | ')})`)
    assert.equal(field.type, type, `${where}: ${name} is ${field.type}, not ${type}`)
  }
}

function describeFrame (frame: DataFrame): string {
  return frame.fields.map(f => `${f.name}:${f.type}`).join(', ')
}

async function startNode (name: string, roles: string, extra: string[] = []): Promise<Child> {
  const dir = tempDir(`grafana-${name}`)
  cleanups.push(() => { dir.remove() })
  const child = await startFedlake(['node', '--name', name, '--roles', roles, '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path, ...extra])
  cleanups.push(async () => { await child.stop('SIGKILL') })
  return child
}

async function networkCount (url: string, table: string, where = ''): Promise<number> {
  const reply = await restCommand(url, `sql kubearmor format=json and stat=false "select count(*) as n from ${table} ${where}"`, { headers: { destination: 'network' } })
  if (reply.status !== 200) return -1
  return Number((reply.json() as { Query?: { n: number }[] }).Query?.[0]?.n ?? 0)
}

describe('the shipped Grafana dashboards, replayed against a query node and two operators', { timeout: 300_000 }, () => {
  let url = ''
  const sims: KubeArmorSimulator[] = []
  let requests = 0

  const runPanel = async (dashboard: Dashboard, panel: DashboardPanel, variables: Variables): Promise<DataFrame[]> => {
    const request = panelRequest(dashboard, panel, variables, ++requests)
    const reply = await grafanaPost(url, '/query', request.body)
    assert.equal(reply.status, 200, `${dashboard.title} / ${panel.title}: ${reply.status} ${errorMessage(reply)}`)
    const frames = toFrames(reply.body)
    checkPanel(panel, frames, { fromMs: request.range.from.valueOf(), toMs: request.range.to.valueOf() })
    return frames
  }

  before(async () => {
    assert.ok(dashboards.length >= 3, 'the dashboards are there')
    const query = await startNode('query-1', 'query')
    url = query.ready.rest ?? ''
    for (const [i, seed] of [7, 8].entries()) {
      const sim = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, count: 1500, rate: 600, seed, nodes: 2, pods: 6, cluster: `edge-${i + 1}`, mix: { logs: 0.75, alerts: 0.25 } })
      await sim.start()
      cleanups.push(async () => { await sim.stop() })
      sims.push(sim)
      await startNode(`operator-${i + 1}`, 'operator', ['--seeds', query.ready.p2p ?? '', '--cluster', `edge-${i + 1}`, '--kubearmor', sim.address])
    }
    await Promise.all(sims.map(async sim => { await sim.whenCountReached() }))
    const sent = (stream: 'logs' | 'alerts'): number => sims.reduce((n, s) => n + s.stats().streams[stream].sent, 0)
    await waitFor(async () => await networkCount(url, 'logs') === sent('logs') && await networkCount(url, 'alert') === sent('alerts'),
      { timeoutMs: 90_000, intervalMs: 500, what: 'every simulated event to be queryable over the network' })
  })

  it('passes Grafana\'s datasource test and lists the network\'s tables', async () => {
    const test = await fetch(`${url}/`, { headers: { 'User-Agent': GRAFANA_USER_AGENT } })
    assert.equal(test.status, 200)
    assert.equal(await test.text(), 'OK')
    const metrics = await grafanaPost(url, '/metrics', {})
    assert.equal(metrics.status, 200)
    const names = (metrics.body as { value: string }[]).map(m => m.value)
    assert.ok(names.includes('kubearmor.alert') && names.includes('kubearmor.logs'), names.join(', '))
  })

  for (const dashboard of dashboards) {
    it(`${dashboard.title}: every panel gets the fields and types it needs, with data`, async () => {
      const variables = await resolveVariables(url, dashboard)
      for (const [name, value] of variables) assert.ok(value.options.length > 0, `${dashboard.title}: variable ${name} has no option`)
      for (const panel of dashboardPanels(dashboard)) {
        for (const t of panel.targets ?? []) assert.deepEqual(t.datasource, { type: 'simpod-json-datasource', uid: 'fedlake' }, `${panel.title}: datasource`)
        await runPanel(dashboard, panel, variables)
      }
    })
  }

  it('answers panels of both operators: rows per operator and the nodes\' liveness', async () => {
    const overview = dashboards.find(d => d.uid === 'fedlake-network') as Dashboard
    const panel = (title: string): DashboardPanel => dashboardPanels(overview).find(p => p.title === title) as DashboardPanel
    const rows = await runPanel(overview, panel('Rows per Operator'), new Map())
    for (const frame of rows) assert.deepEqual(frame.fields.find(f => f.name === 'node')?.values, ['operator-1', 'operator-2'])
    const logsField = rows[0]?.fields.find(f => f.name === 'logs')
    assert.deepEqual(logsField?.values, sims.map(s => s.stats().streams.logs.sent))
    const nodes = await runPanel(overview, panel('Nodes and Liveness'), new Map())
    const status = Object.fromEntries((nodes[0]?.fields.find(f => f.name === 'Node Name')?.values ?? []).map((n, i) => [n, nodes[0]?.fields.find(f => f.name === 'Node Status')?.values[i]]))
    assert.deepEqual(status, { 'query-1': 'active', 'operator-1': 'active', 'operator-2': 'active' })
    const ratePanel = panel('Ingest Rate per Operator (events/s)')
    const request = panelRequest(overview, ratePanel, new Map(), requests + 1)
    const rate = await runPanel(overview, ratePanel, new Map())
    assert.deepEqual(rate.map(f => f.name).sort(), ['operator-1', 'operator-2'])
    // increments() took Grafana's interval, the one $__interval_ms divides by: the rates add up to the events
    const buckets = Math.ceil((request.range.to.valueOf() - request.range.from.valueOf()) / request.intervalMs) + 1
    for (const [i, name] of ['operator-1', 'operator-2'].entries()) {
      const values = rate.find(f => f.name === name)?.fields.find(f => f.type === 'number')?.values as number[]
      assert.ok(values.length <= buckets, `${name}: ${values.length} points for ${buckets} intervals`)
      const events = values.reduce((n, v) => n + v * request.intervalMs / 1000, 0)
      assert.ok(Math.abs(events - (sims[i]?.stats().streams.logs.sent ?? 0)) < 1e-6, `${name}: the rates add up to ${events} events`)
    }
  })

  it('answers the builder\'s options, ad-hoc filters and the legacy search from the network\'s metadata and data', async () => {
    const options = async (metric: string, name: string): Promise<string[]> => {
      const reply = await grafanaPost(url, '/metric-payload-options', { metric, payload: {}, name })
      assert.equal(reply.status, 200, errorMessage(reply))
      return (reply.body as { value: string }[]).map(o => o.value)
    }
    assert.ok((await options('kubearmor.alert', 'time_column')).includes('timestamp'))
    assert.ok((await options('kubearmor.alert', 'value_column')).includes('severity'))
    const keys = await grafanaPost(url, '/tag-keys', {})
    const keyNames = (keys.body as { type: string, text: string }[]).map(k => k.text)
    assert.ok(keyNames.includes('namespace') && keyNames.includes('pod_name'), keyNames.join(', '))
    const values = await grafanaPost(url, '/tag-values', { key: 'namespace' })
    const namespaces = (values.body as { text: string }[]).map(v => v.text)
    const alerts = dashboards.find(d => d.uid === 'fedlake-kubearmor-alerts') as Dashboard
    const all = await resolveVariables(url, alerts)
    for (const n of all.get('namespace')?.options ?? []) assert.ok(namespaces.includes(n), `tag value ${n}`)
    // an ad-hoc filter narrows a panel as a WHERE condition of its query
    const namespace = namespaces[0] as string
    const total = dashboardPanels(alerts).find(p => p.title === 'Total Alerts') as DashboardPanel
    const request = panelRequest(alerts, total, all, ++requests, [{ key: 'namespace', operator: '=', value: namespace }])
    const reply = await grafanaPost(url, '/query', request.body)
    assert.equal(reply.status, 200, errorMessage(reply))
    assert.equal(toFrames(reply.body)[0]?.fields[0]?.values[0], await networkCount(url, 'alert', `where namespace = '${namespace}'`))
    // simple-json and simpod <= 0.5: the metric list, and variable queries through /search
    const search = await grafanaPost(url, '/search', { target: '' })
    assert.ok((search.body as string[]).includes('kubearmor.logs'))
    const searched = await grafanaPost(url, '/search', { target: 'sql kubearmor "select distinct namespace from alert order by 1"' })
    assert.deepEqual((searched.body as { text: string, value: string }[]).map(v => v.value), all.get('namespace')?.options)
  })

  it('reads date strings in the payload\'s timezone, else the dashboard\'s, else UTC', async () => {
    const alerts = dashboards.find(d => d.uid === 'fedlake-kubearmor-alerts') as Dashboard
    // a minute after the newest alert, written as UTC wall-clock time
    const newest = await restCommand(url, 'sql kubearmor format=json:list and stat=false "select max(timestamp) as t from alert"', { headers: { destination: 'network' } })
    const t = Date.parse(`${String((newest.json() as { t: string }[])[0]?.t).replace(' ', 'T')}Z`) + 60_000
    assert.ok(Number.isFinite(t), newest.text)
    const wallClock = new Date(t).toISOString().slice(0, 19).replace('T', ' ')
    const count = async (zone: { payload?: string, dashboard?: string }): Promise<unknown> => {
      const payload = JSON.stringify({ sql: `select count(*) as n from alert where timestamp <= '${wallClock}'`, time_range: false, ...(zone.payload === undefined ? {} : { timezone: zone.payload }) })
      const panel: DashboardPanel = { id: 98, type: 'stat', title: 'zone', gridPos: { x: 0, y: 0, w: 6, h: 4 }, targets: [{ refId: 'A', target: 'kubearmor.alert', payload }] }
      const request = panelRequest({ ...alerts, timezone: zone.dashboard ?? 'browser' }, panel, new Map(), ++requests)
      const reply = await grafanaPost(url, '/query', request.body)
      assert.equal(reply.status, 200, errorMessage(reply))
      return toFrames(reply.body)[0]?.fields[0]?.values[0]
    }
    const total = await networkCount(url, 'alert')
    assert.equal(await count({}), total, 'UTC when neither names a zone (browser)')
    assert.equal(await count({ payload: 'utc' }), total)
    // the same wall-clock time in India is 5 h 30 min earlier: before every alert
    assert.equal(await count({ payload: 'Asia/Kolkata' }), 0)
    assert.equal(await count({ dashboard: 'Asia/Kolkata' }), 0)
    assert.equal(await count({ payload: 'utc', dashboard: 'Asia/Kolkata' }), total, 'the payload\'s zone first')
  })

  it('narrows every panel with the namespace and pod variables', async () => {
    const alerts = dashboards.find(d => d.uid === 'fedlake-kubearmor-alerts') as Dashboard
    const all = await resolveVariables(url, alerts)
    const namespace = all.get('namespace')?.options.find(n => n !== '') as string
    const chosen = await resolveVariables(url, alerts, { namespace: [namespace] })
    const pods = chosen.get('pod')?.options ?? []
    assert.ok(pods.length > 0 && pods.length < (all.get('pod')?.options.length ?? 0), 'the pod variable follows the namespace')
    const total = dashboardPanels(alerts).find(p => p.title === 'Total Alerts') as DashboardPanel
    const frames = await runPanel(alerts, total, chosen)
    const expected = await networkCount(url, 'alert', `where namespace = '${namespace}'`)
    assert.ok(expected > 0)
    assert.equal(frames[0]?.fields[0]?.values[0], expected)
    const onePod = await runPanel(alerts, total, await resolveVariables(url, alerts, { namespace: [namespace], pod: [pods[0] as string] }))
    assert.equal(onePod[0]?.fields[0]?.values[0], await networkCount(url, 'alert', `where namespace = '${namespace}' and pod_name = '${pods[0] as string}'`))
  })

  it('shows a query\'s error in the panel: a non-2xx status with a message', async () => {
    const alerts = dashboards.find(d => d.uid === 'fedlake-kubearmor-alerts') as Dashboard
    const broken: DashboardPanel = { id: 99, type: 'stat', title: 'broken', gridPos: { x: 0, y: 0, w: 6, h: 4 }, targets: [{ refId: 'A', target: 'kubearmor.alert', payload: '{"sql": "select count(nosuch) from alert"}' }] }
    const request = panelRequest(alerts, broken, new Map(), ++requests)
    const reply = await grafanaPost(url, '/query', request.body)
    assert.equal(reply.status, 400)
    assert.match(errorMessage(reply), /^A: .*nosuch/)
  })
})
