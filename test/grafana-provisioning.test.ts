/**
 * The Grafana files shipped in grafana/ are what Grafana's provisioning reads: the datasource and dashboard
 * providers parse as YAML with the fields Grafana needs, every dashboard uses the provisioned datasource, and every
 * payload is JSON once its template variables are filled in (the plugin silently sends `{}` for a payload that
 * does not parse, so a typo would show as an empty panel, not as an error).
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parse } from 'yaml'

const GRAFANA_DIR = new URL('../grafana/', import.meta.url)
const read = (path: string): string => readFileSync(new URL(path, GRAFANA_DIR), 'utf8')

interface Target { refId?: string, target?: string, payload?: unknown, datasource?: { type?: string, uid?: string } }
interface Panel { id?: number, title?: string, type?: string, gridPos?: unknown, targets?: Target[], panels?: Panel[] }
interface Dashboard { uid?: string, title?: string, panels?: Panel[], templating?: { list?: { name: string, type: string, datasource?: { uid?: string } }[] } }

const dashboardFiles = readdirSync(new URL('dashboards/', GRAFANA_DIR)).filter(f => f.endsWith('.json')).sort()
const dashboards = dashboardFiles.map(f => [f, JSON.parse(read(`dashboards/${f}`)) as Dashboard] as const)

/** What the plugin does to a payload before JSON.parse: every variable becomes a JSON-formatted value. */
function withSampleVariables (payload: string): string {
  return payload
    .replace(/\$\{\w+:sqlstring\}/g, "'a','b'")
    .replace(/\$__interval_ms|\$\{__interval_ms\}/g, '1000')
    .replace(/\$\{?\w+(?::\w+)?\}?/g, 'x')
}

describe('the shipped Grafana provisioning and dashboards', () => {
  const datasources = (parse(read('provisioning/datasources/fedlake.yaml')) as { apiVersion: number, datasources: Record<string, unknown>[] })

  it('provisions fedlake as a simpod JSON datasource in server access mode', () => {
    assert.equal(datasources.apiVersion, 1)
    const [ds] = datasources.datasources
    assert.ok(ds !== undefined)
    assert.equal(ds.type, 'simpod-json-datasource')
    assert.equal(ds.uid, 'fedlake')
    assert.equal(ds.access, 'proxy')
    assert.match(String(ds.url), /^http:\/\/[\w.-]+:\d+$/)
  })

  it('provisions the dashboards folder from files', () => {
    const providers = parse(read('provisioning/dashboards/fedlake.yaml')) as { apiVersion: number, providers: { type: string, options: { path: string } }[] }
    assert.equal(providers.apiVersion, 1)
    assert.equal(providers.providers[0]?.type, 'file')
    assert.match(providers.providers[0]?.options.path ?? '', /^\/var\/lib\/grafana\/dashboards\//)
  })

  it('ships the KubeArmor Alerts, KubeArmor Logs and network overview dashboards, uids unique', () => {
    const titles = dashboards.map(([, d]) => d.title)
    for (const title of ['KubeArmor Alerts', 'KubeArmor Logs', 'fedlake Network Overview']) assert.ok(titles.includes(title), `${title} is shipped`)
    const uids = dashboards.map(([, d]) => d.uid)
    assert.equal(new Set(uids).size, uids.length)
  })

  for (const [file, dashboard] of dashboards) {
    it(`${file}: every panel and variable uses the provisioned datasource, every payload is a JSON object`, () => {
      const panels = (dashboard.panels ?? []).flatMap(p => [p, ...(p.panels ?? [])])
      const ids = panels.map(p => p.id)
      assert.equal(new Set(ids).size, ids.length, 'panel ids are unique')
      for (const panel of panels) {
        assert.ok(typeof panel.title === 'string' && panel.gridPos !== undefined, `panel ${String(panel.id)} has a title and a position`)
        for (const target of panel.targets ?? []) {
          const where: string = `${panel.title ?? '?'} ${target.refId ?? '?'}`
          assert.deepEqual(target.datasource, { type: 'simpod-json-datasource', uid: 'fedlake' }, where)
          assert.ok(typeof target.target === 'string' && target.target !== '', `${where}: a metric is chosen (the plugin drops targets without one)`)
          assert.equal(typeof target.payload, 'string', `${where}: code mode stores the payload as text`)
          const payload = JSON.parse(withSampleVariables(target.payload as string)) as unknown
          assert.ok(typeof payload === 'object' && payload !== null && !Array.isArray(payload), `${where}: the payload is a JSON object`)
        }
      }
      for (const variable of dashboard.templating?.list ?? []) {
        if (variable.type === 'query') assert.equal(variable.datasource?.uid, 'fedlake', `variable ${variable.name}`)
      }
    })
  }
})
