/**
 * The console at /ui in a real headless Chromium (Debian's package, driven by playwright-core): a query node and
 * two operator processes holding KubeArmor-like rows sent by PUT (one also pulls a KubeArmor simulator into the
 * dbms `sim`), the page loaded from the query node. It must show the network's answers row for row, chart an
 * increments() query, list both operators, read each operator's connectors from its own REST address, show
 * event text as text and errors as the node words them, and send its token only to the node that served it.
 *
 * The screenshot goes to the test's temporary directory; FEDLAKE_UPDATE_SCREENSHOT=1 also copies it to
 * docs/images/console.png (the README's). FEDLAKE_CHROMIUM names another Chromium binary.
 */
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page, Request } from 'playwright-core'
import { waitFor } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { random } from './helpers/kubearmor-data.js'
import { restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const CHROMIUM = process.env.FEDLAKE_CHROMIUM ?? '/usr/bin/chromium'
/** The flags this closed network needs (.library/env/machines/node.md); playwright adds --headless, --no-sandbox and a fresh profile. */
const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const README_SCREENSHOT = fileURLToPath(new URL('../docs/images/console.png', import.meta.url))

const OPERATIONS = ['File', 'Process', 'Network'] as const
const HOSTILE_NAMES = ['<img src=x onerror="window.__xss=1">', '"><script>window.__xss=2</script>', '</td><b id="injected">bold</b>']
const START = Date.UTC(2026, 2, 2, 6)

interface LogRow { updated_timestamp: string, timestamp: string, operation: string, result: string, pod_name: string, process_name: string, hostname: string }

/** Six hours of events per operator, busier around midday, a few with markup for process names. */
function logRows (operator: number): LogRow[] {
  const rnd = random(100 + operator)
  const rows: LogRow[] = []
  for (let minute = 0; minute < 360; minute += 2) {
    const busy = 2 + Math.round(4 * Math.sin((minute / 360) * Math.PI) * (1 + operator)) + Math.floor(rnd() * 3)
    for (let k = 0; k < busy; k++) {
      const at = new Date(START + minute * 60_000 + Math.floor(rnd() * 120_000) + k)
      const operation = OPERATIONS[Math.floor(rnd() * (rnd() < 0.5 ? 1 : 3))] as string
      const ts = at.toISOString().replace('T', ' ').replace('Z', '')
      rows.push({
        timestamp: ts, updated_timestamp: ts, operation, hostname: `edge-${operator}`,
        result: rnd() < 0.8 ? 'Passed' : 'Permission denied',
        pod_name: `pod-${'abcde'[Math.floor(rnd() * 5)] ?? 'a'}`,
        process_name: ['/bin/sh', '/usr/bin/curl', '/usr/sbin/nginx'][Math.floor(rnd() * 3)] ?? '/bin/sh'
      })
    }
  }
  for (const [i, name] of HOSTILE_NAMES.entries()) rows[i * 7 + operator] = { ...rows[i * 7 + operator] as LogRow, process_name: name }
  return rows
}

function alertRows (operator: number): object[] {
  return Array.from({ length: 20 + operator * 5 }, (_, i) => ({
    updated_timestamp: new Date(START + i * 600_000).toISOString().replace('T', ' ').replace('Z', ''),
    pod_name: `pod-${i % 3}`, policy_name: 'block-shell', severity: 1 + (i % 5), action: 'Block', process_name: '/bin/sh'
  }))
}

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

describe('the console at /ui', { timeout: 300_000 }, () => {
  const dir = tempDir('console')
  cleanups.push(() => { dir.remove() })
  let query: Child
  let operators: Child[]
  let url = ''
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const pageErrors: string[] = []
  const logs = [logRows(1), logRows(2)]

  const startNode = async (name: string, args: string[]): Promise<Child> => {
    const child = await startFedlake(['node', '--name', name, '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(dir.path, name), ...args])
    cleanups.push(async () => { await child.stop('SIGKILL') })
    return child
  }
  const put = async (op: Child, table: string, rows: object[]): Promise<void> => {
    const res = await fetch(op.ready.rest ?? '', { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: 'kubearmor', table }, body: rows.map(r => JSON.stringify(r)).join('\n') })
    assert.equal(res.status, 200, await res.text())
  }
  /** The network's own answer, as curl gets it. */
  const networkRows = async (sql: string): Promise<Array<Record<string, unknown>>> => {
    const reply = await restCommand(url, `sql kubearmor format=json and stat=false "${sql}"`, { headers: { destination: 'network' } })
    assert.equal(reply.status, 200, reply.text)
    return (reply.json() as { Query: Array<Record<string, unknown>> }).Query
  }
  /** The cells of a rendered table, row by row. */
  const renderedRows = async (table: string): Promise<string[][]> => {
    const columns = await page.locator(`${table} thead th`).count()
    const cells = await page.locator(`${table} tbody td`).allTextContents()
    return Array.from({ length: cells.length / columns }, (_, r) => cells.slice(r * columns, (r + 1) * columns))
  }
  const runQuery = async (sql: string): Promise<void> => {
    await page.locator('#query-text').fill(sql)
    await page.locator('#run-button').click() // marks #result busy before the click returns
    await page.locator('#result[aria-busy="false"]').waitFor({ state: 'attached' }) // empty (so not "visible") after an error
  }

  before(async () => {
    const sim = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, count: 60, seed: 7, nodes: 1, pods: 3 })
    await sim.start()
    cleanups.push(async () => { await sim.stop() })
    query = await startNode('query-1', ['--roles', 'query'])
    const seed = query.ready.p2p ?? ''
    operators = [
      await startNode('op-1', ['--roles', 'operator', '--cluster', 'site-a', '--seeds', seed, '--kubearmor', sim.address, '--dbms', 'sim']),
      await startNode('op-2', ['--roles', 'operator', '--cluster', 'site-b', '--seeds', seed])
    ]
    url = query.ready.rest ?? ''
    for (const [i, op] of operators.entries()) {
      await put(op, 'logs', logs[i] ?? [])
      await put(op, 'alert', alertRows(i + 1))
    }
    const total = logs.reduce((n, rows) => n + rows.length, 0)
    await waitFor(async () => (await networkRows('select count(*) as n from logs'))[0]?.n === total, { timeoutMs: 30_000, intervalMs: 200 })

    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium package (apt-get install chromium)`)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    cleanups.push(async () => { await browser.close() })
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.on('pageerror', err => { pageErrors.push(err.message) })
    // Chromium logs every 4xx reply as an error; the one refused query (400) is expected, anything else is not
    page.on('console', message => {
      if (message.type() === 'error' && !/^Failed to load resource: .* status of 400 \(Bad Request\)$/.test(message.text())) pageErrors.push(message.text())
    })
    page.setDefaultTimeout(30_000)
  })

  it('serves the page and its files without a token, with a CSP, ETags and 304s, and nothing else under /ui', async () => {
    const res = await fetch(`${url}/ui`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /script-src 'self'/)
    assert.match(csp, /default-src 'none'/)
    assert.doesNotMatch(csp, /unsafe/)
    assert.equal(res.headers.get('cache-control'), 'no-cache')
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    const etag = res.headers.get('etag') ?? ''
    assert.match(await res.text(), /<script type="module" src="ui\/app.js">/)
    assert.equal((await fetch(`${url}/ui`, { headers: { 'if-none-match': etag } })).status, 304)
    const script = await fetch(`${url}/ui/app.js`)
    assert.equal(script.status, 200)
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.notEqual(script.headers.get('etag'), etag)
    const slash = await fetch(`${url}/ui/`, { redirect: 'manual' })
    assert.deepEqual([slash.status, slash.headers.get('location')], [308, '../ui'])
    for (const path of ['/ui/nosuch.js', '/ui/..%2Fsrc%2Findex.ts', '/ui/index.html']) assert.equal((await fetch(`${url}${path}`)).status, 404, path)
    const status = await restCommand(url, 'get status')
    assert.match(status.text, /query-1/, 'EdgeLake commands on / are untouched')
  })

  it('runs a network query and shows the network\'s answer row for row', async () => {
    await page.goto(`${url}/ui`)
    await page.locator('#node-identity', { hasText: 'query-1 · query' }).waitFor()
    await page.locator('#catalog-tree button.table[data-dbms="kubearmor"][data-table="logs"]').waitFor()
    assert.equal(await page.locator('#dbms-picker').inputValue(), 'kubearmor')
    const sql = 'select operation, count(*) from logs group by operation'
    await runQuery(sql)
    assert.deepEqual(await page.locator('#result-table thead th').allTextContents(), ['operation', 'count(*)'])
    const shown = (await renderedRows('#result-table')).sort()
    const answer = (await networkRows(sql)).map(r => [String(r.operation), String(r['count(*)'])]).sort()
    assert.deepEqual(shown, answer)
    const expected = OPERATIONS.map(op => [op, String(logs.flat().filter(r => r.operation === op).length)]).sort()
    assert.deepEqual(shown, expected, 'and that answer is every operator\'s rows')
    assert.match(await page.locator('#query-status').textContent() ?? '', /3 rows · .* ms · 2 nodes/)
    assert.equal(await page.locator('#chart').isHidden(), true, 'no time column, no chart')
  })

  it('charts an increments() query: a line per operation, a point per row', async () => {
    const sql = 'select increments(minute, 30, updated_timestamp), operation, min(updated_timestamp) as time, count(*) as events from logs group by operation order by time'
    await runQuery(sql)
    const answer = await networkRows(sql)
    assert.equal((await renderedRows('#result-table')).length, answer.length)
    await page.locator('#chart svg.chart').waitFor()
    assert.equal(await page.locator('#chart path.series').count(), OPERATIONS.length)
    assert.equal(await page.locator('#chart circle.point').count(), answer.length)
    assert.deepEqual((await page.locator('#chart .legend li').allTextContents()).sort(), [...OPERATIONS].sort())
    const d = await page.locator('#chart path.series').first().getAttribute('d') ?? ''
    assert.match(d, /^M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+$/)
    const shot = join(dir.path, 'console.png')
    await page.screenshot({ path: shot })
    assert.deepEqual([...readFileSync(shot).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
    if (process.env.FEDLAKE_UPDATE_SCREENSHOT === '1') {
      mkdirSync(join(README_SCREENSHOT, '..'), { recursive: true })
      copyFileSync(shot, README_SCREENSHOT)
    }
  })

  it('shows event text as text: markup in process names neither renders nor runs', async () => {
    await runQuery("select process_name, count(*) as n from logs where process_name like '%<%' group by process_name order by process_name")
    const shown = (await renderedRows('#result-table')).map(r => r[0])
    assert.deepEqual(shown, [...HOSTILE_NAMES].sort())
    assert.equal(await page.locator('#result-table img, #result-table script, #injected').count(), 0)
    assert.equal(await page.evaluate('window.__xss'), undefined)
  })

  it('shows the node\'s error text and code for a query the network refuses', async () => {
    await runQuery('select nosuch from logs')
    const error = page.locator('#query-error')
    await error.waitFor()
    const reply = await restCommand(url, 'sql kubearmor format=json "select nosuch from logs"', { headers: { destination: 'network' } })
    const body = reply.json() as { err_text: string, local_msg: string, code: string }
    assert.equal(await error.locator('strong').textContent(), body.err_text)
    assert.equal(await error.locator('.detail').textContent(), body.local_msg)
    assert.equal(await error.locator('.code').textContent(), body.code)
  })

  it('fills a query from the catalog: a table, then a column at the cursor', async () => {
    await page.locator('#catalog-tree button.table[data-table="alert"]').click()
    assert.equal(await page.locator('#query-text').inputValue(), 'select * from alert limit 100')
    await page.locator('#catalog-tree button.column', { hasText: 'policy_name' }).waitFor()
    await page.locator('#query-text').fill('select  from alert')
    await page.locator('#query-text').evaluate(textarea => { (textarea as unknown as { setSelectionRange(from: number, to: number): void }).setSelectionRange(7, 7) })
    await page.locator('#catalog-tree button.column', { hasText: 'policy_name' }).click()
    assert.equal(await page.locator('#query-text').inputValue(), 'select policy_name from alert')
    await page.locator('#run-button').click()
    await page.locator('#result[aria-busy="false"]').waitFor({ state: 'attached' })
    assert.deepEqual(await page.locator('#result-table thead th').allTextContents(), ['policy_name'])
  })

  it('lists both operators in the network view with their clusters, liveness and tables', async () => {
    await page.locator('#tab-network').click()
    await page.locator('#network-summary', { hasText: /^3 nodes: 2 operators in 2 clusters, 1 query nodes$/ }).waitFor()
    const rows = Object.fromEntries((await renderedRows('#network-nodes')).map(r => [r[0]?.replace('this node', '').trim(), r]))
    assert.deepEqual(Object.keys(rows).sort(), ['op-1', 'op-2', 'query-1'])
    for (const [name, cluster, tables] of [['op-1', 'site-a', /kubearmor\.alert, kubearmor\.logs, sim\.\w+/], ['op-2', 'site-b', /^kubearmor\.alert, kubearmor\.logs$/]] as const) {
      const row = rows[name] ?? []
      assert.equal(row[1], 'operator')
      assert.equal(row[2], cluster)
      assert.equal(row[3], 'active')
      assert.equal(row[4], 'answered', 'test network pinged it')
      assert.equal(row[6], (operators[name === 'op-1' ? 0 : 1]?.ready.rest ?? '').replace('http://', ''))
      assert.match(row[8] ?? '', tables)
    }
    assert.match(rows['query-1']?.[0] ?? '', /this node/)
  })

  it('reads each operator\'s KubeArmor connectors from its own REST address', async () => {
    await page.locator('#tab-connectors').click()
    const op1 = page.locator('#connectors section[data-node="op-1"]')
    await op1.locator('table').waitFor()
    const cells = await renderedRows('#connectors section[data-node="op-1"] table')
    assert.ok(cells.length >= 2, 'a subscription per KubeArmor stream')
    assert.deepEqual(cells.map(r => r[1]), cells.map(() => 'Active'))
    assert.ok(cells.some(r => r[0]?.startsWith('kubearmor-logs@')))
    await page.locator('#connectors section[data-node="op-2"]', { hasText: 'No KubeArmor source is configured' }).waitFor()
  })

  it('sends the token from its token field to its own node only, and asks for it when the node answers 401', async () => {
    const tokenContext = await browser.newContext()
    cleanups.push(async () => { await tokenContext.close() })
    const seen: Array<{ url: string, authorization?: string }> = []
    tokenContext.on('request', (request: Request) => { seen.push({ url: request.url(), authorization: request.headers().authorization }) })
    // the node as the token engineer's check makes it: every command needs the bearer token, the page's files do not
    await tokenContext.route(u => u.origin === new URL(url).origin && u.pathname === '/', async route => {
      if (route.request().headers().authorization === 'Bearer s3cret') await route.continue()
      else await route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ err_text: 'Unauthorized', local_msg: 'a bearer token is required', code: 'REST_UNAUTHORIZED' }) })
    })
    const tokenPage = await tokenContext.newPage()
    tokenPage.on('pageerror', err => { pageErrors.push(err.message) })
    await tokenPage.goto(`${url}/ui`)
    await tokenPage.locator('#banner', { hasText: 'This node requires a token' }).waitFor()
    await tokenPage.locator('#token-input').fill('s3cret')
    await tokenPage.locator('#token-form button[type="submit"]').click()
    await tokenPage.locator('#node-identity', { hasText: 'query-1 · query' }).waitFor()
    assert.equal(await tokenPage.locator('#banner').isHidden(), true)
    assert.equal(await tokenPage.evaluate("sessionStorage.getItem('fedlake.console.token')"), 's3cret')
    await tokenPage.locator('#tab-connectors').click()
    await tokenPage.locator('#connectors section[data-node="op-2"]', { hasText: 'No KubeArmor source' }).waitFor()
    const files = seen.filter(r => new URL(r.url).pathname.startsWith('/ui'))
    assert.ok(files.length >= 5 && files.every(r => r.authorization === undefined), 'the page and its modules load without a token')
    const own = seen.filter(r => new URL(r.url).origin === new URL(url).origin && new URL(r.url).pathname === '/')
    assert.ok(own.some(r => r.authorization === 'Bearer s3cret'))
    const others = seen.filter(r => operators.some(op => new URL(r.url).origin === new URL(op.ready.rest ?? '').origin))
    assert.equal(new Set(others.map(r => new URL(r.url).origin)).size, 2, 'get grpc client of each operator')
    assert.ok(others.every(r => r.authorization === undefined), 'the token never goes to another node')
  })

  it('raised no script error on any page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
