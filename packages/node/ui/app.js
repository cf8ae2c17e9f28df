/*
 * The fedlake console: a query box over the network, the catalog, the network view and the KubeArmor
 * connectors of each operator. Everything goes through the node's REST commands (rest.js); every piece of data
 * reaches the page as text (dom.js), never as markup.
 *
 * The token: the page itself is served without one; when the node requires a bearer token, the REST calls
 * carry the one typed in the token field, kept in sessionStorage (this tab only, gone when it closes) and sent
 * only to the node that served the page.
 */
/* global location */
import { chartSpec, renderChart } from './chart.js'
import { byId, h, replaceChildren } from './dom.js'
import { networkModel } from './network.js'
import { queryCommand, runCommand } from './rest.js'
import { describeStatistics, formatCell, tableFromReply } from './results.js'

const TOKEN_KEY = 'fedlake.console.token'
const MAX_RENDERED_ROWS = 1000
const REMOTE_TIMEOUT_MS = 5000
/** The node's REST root: `/` for a page at `/ui`, and a proxy's path prefix stays. */
const base = new URL('.', location.href).href

const EXAMPLES = [
  ['operations', 'select operation, count(*) from logs group by operation'],
  ['events per 10 minutes', 'select increments(minute, 10, updated_timestamp), operation, min(updated_timestamp) as time, count(*) as events\nfrom logs group by operation order by time'],
  ['denied by pod', "select pod_name, count(*) as denied from logs where result <> 'Passed' group by pod_name order by denied desc limit 10"],
  ['latest alerts', 'select updated_timestamp, pod_name, process_name, policy_name, severity, action from alert order by updated_timestamp desc limit 20']
]

const state = { self: undefined, running: undefined, loaded: new Set() }

// ---------------------------------------------------------------- token and calls

function storedToken () {
  try { return sessionStorage.getItem(TOKEN_KEY) ?? '' } catch { return '' }
}

function storeToken (token) {
  try {
    if (token === '') sessionStorage.removeItem(TOKEN_KEY)
    else sessionStorage.setItem(TOKEN_KEY, token)
  } catch { /* storage disabled: the token lasts until the page reloads */ }
  tokenInMemory = token
}
let tokenInMemory = storedToken()

/** A command to the node that served the page, with the token when there is one. */
async function call (command, options = {}) {
  const reply = await runCommand(command, { base, token: tokenInMemory, ...options })
  if (!reply.ok && reply.status === 401) askForToken(reply.error)
  return reply
}

function askForToken (error) {
  const input = byId('token-input')
  showBanner(tokenInMemory === ''
    ? 'This node requires a token: enter it in the Token field above.'
    : `The token was refused (${error.detail || error.title}): enter a valid one in the Token field above.`)
  input.classList.add('attention')
  input.focus()
}

function showBanner (text) {
  const banner = byId('banner')
  banner.textContent = text
  banner.hidden = false
}

function hideBanner () {
  byId('banner').hidden = true
  byId('token-input').classList.remove('attention')
}

function showTokenState () {
  const input = byId('token-input')
  input.value = ''
  input.placeholder = tokenInMemory === '' ? 'bearer token, if the node needs one' : 'token set for this tab'
}

// ---------------------------------------------------------------- errors and tables

function showError (element, error) {
  replaceChildren(element,
    h('strong', { text: error.title }),
    error.detail ? h('span', { class: 'detail', text: error.detail }) : null,
    error.code ? h('code', { class: 'code', text: error.code }) : null)
  element.hidden = false
}

function tableElement (columns, rows, { id, limit = MAX_RENDERED_ROWS } = {}) {
  return h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { text: c })))),
    h('tbody', {}, rows.slice(0, limit).map(row => h('tr', {}, row.map(value => {
      const cell = formatCell(value)
      return h('td', { class: cell.kind, text: cell.text })
    })))))
}

// ---------------------------------------------------------------- query

async function runQuery () {
  const plan = queryCommand(byId('query-text').value, { dbms: byId('dbms-picker').value, scope: byId('scope-picker').value })
  if (plan.error !== undefined) { showError(byId('query-error'), { title: plan.error }); return }
  if (plan.command === '') return
  state.running?.abort()
  const controller = new AbortController()
  state.running = controller
  byId('result').setAttribute('aria-busy', 'true')
  byId('query-error').hidden = true
  byId('run-button').disabled = true
  byId('cancel-button').disabled = false
  byId('query-status').textContent = 'running…'
  const started = performance.now()
  const reply = await call(plan.command, { destination: plan.destination, signal: controller.signal })
  if (state.running !== controller) return // a newer query replaced this one
  state.running = undefined
  byId('run-button').disabled = false
  byId('cancel-button').disabled = true
  showQueryReply(reply, `${Math.round(performance.now() - started)} ms in the browser`)
  byId('result').setAttribute('aria-busy', 'false')
}

/** The reply of the query box: an error, a table (and a chart when it is a time series), or the raw reply. */
function showQueryReply (reply, elapsed) {
  const status = byId('query-status')
  const chartBox = byId('chart')
  const result = byId('result')
  chartBox.hidden = true
  result.replaceChildren()
  if (!reply.ok) {
    status.textContent = elapsed
    showError(byId('query-error'), reply.error)
    return
  }
  const table = tableFromReply(reply)
  if (table === undefined) {
    status.textContent = elapsed
    replaceChildren(result, h('pre', { class: 'raw', text: reply.json === undefined ? reply.text : JSON.stringify(reply.json, null, 2) }))
    return
  }
  const shown = Math.min(table.rows.length, MAX_RENDERED_ROWS)
  status.textContent = [describeStatistics(table.statistics, table.rows.length),
    shown < table.rows.length ? `showing the first ${shown}` : '', elapsed].filter(p => p !== '').join(' · ')
  replaceChildren(result, table.message === undefined ? null : h('p', { class: 'muted', text: table.message }),
    table.columns.length === 0 ? null : tableElement(table.columns, table.rows, { id: 'result-table' }))
  const spec = chartSpec(table.columns, table.rows)
  if (spec !== undefined) {
    chartBox.hidden = false // shown first, so that its width can be measured
    renderChart(chartBox, spec, { width: Math.max(480, Math.round(chartBox.clientWidth || 900)) })
  }
}

function insertAtCursor (textarea, text) {
  const { selectionStart, selectionEnd, value } = textarea
  textarea.value = value.slice(0, selectionStart) + text + value.slice(selectionEnd)
  textarea.selectionStart = textarea.selectionEnd = selectionStart + text.length
  textarea.focus()
}

// ---------------------------------------------------------------- catalog

async function loadCatalog () {
  const tree = byId('catalog-tree')
  const errorBox = byId('catalog-error')
  const picker = byId('dbms-picker')
  errorBox.hidden = true
  const reply = await call('get databases where format = json')
  if (!reply.ok) { showError(errorBox, reply.error); return }
  const names = (Array.isArray(reply.json) ? reply.json : []).map(r => String(r['Logical DBMS'])).sort()
  const chosen = picker.value
  replaceChildren(picker, names.map(n => h('option', { value: n, text: n })))
  picker.value = names.includes(chosen) ? chosen : names.includes('kubearmor') ? 'kubearmor' : (names[0] ?? '')
  if (names.length === 0) { replaceChildren(tree, h('li', { class: 'muted', text: 'No table has been announced yet.' })); return }
  replaceChildren(tree, names.map(dbms => {
    const tables = h('ul', { class: 'tables', hidden: true })
    const toggle = h('button', { type: 'button', class: 'link db', 'aria-expanded': 'false', text: dbms })
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true'
      toggle.setAttribute('aria-expanded', String(open))
      tables.hidden = !open
      if (open) await loadTables(dbms, tables)
    })
    return h('li', {}, toggle, tables)
  }))
  const first = tree.querySelector(`button.db`)
  if (names.length === 1 || names.includes('kubearmor')) {
    const button = [...tree.querySelectorAll('button.db')].find(b => b.textContent === picker.value) ?? first
    button?.click()
  }
}

async function loadTables (dbms, list) {
  replaceChildren(list, h('li', { class: 'muted', text: 'loading…' }))
  const reply = await call(`get tables where dbms = ${dbms} and format = json`)
  if (!reply.ok) { replaceChildren(list, h('li', { class: 'error-text', text: `${reply.error.title}: ${reply.error.detail}` })); return }
  const tables = (Array.isArray(reply.json) ? reply.json : []).map(r => String(r['Table name'])).sort()
  replaceChildren(list, tables.map(table => {
    const columns = h('ul', { class: 'columns', hidden: true })
    const button = h('button', { type: 'button', class: 'link table', dataset: { dbms, table }, text: table })
    button.addEventListener('click', async () => {
      byId('dbms-picker').value = dbms
      byId('query-text').value = `select * from ${table} limit 100`
      selectTab('tab-query')
      columns.hidden = false
      await loadColumns(dbms, table, columns)
    })
    return h('li', {}, button, columns)
  }))
}

async function loadColumns (dbms, table, list) {
  if (list.childElementCount > 0 && !list.querySelector('.error-text')) return
  const reply = await call(`get columns where dbms = ${dbms} and table = ${table} and format = json`)
  if (!reply.ok) { replaceChildren(list, h('li', { class: 'error-text', text: `${reply.error.title}: ${reply.error.detail}` })); return }
  const columns = reply.json !== null && typeof reply.json === 'object' ? Object.entries(reply.json) : []
  replaceChildren(list, columns.map(([name, type]) => h('li', {},
    h('button', { type: 'button', class: 'link column', title: 'insert into the query', text: name, on: { click: () => insertAtCursor(byId('query-text'), name) } }),
    h('span', { class: 'type', text: String(type) }))))
}

// ---------------------------------------------------------------- network

async function loadNetwork () {
  const errorBox = byId('network-error')
  const summary = byId('network-summary')
  errorBox.hidden = true
  summary.textContent = 'loading…'
  const [policies, dataNodes, versions] = await Promise.all([
    call('blockchain get (operator, query, cluster)'),
    call('get data nodes where format = json'),
    call('test network metadata version where format = json')
  ])
  const failed = [policies, dataNodes, versions].find(r => !r.ok)
  if (failed !== undefined) showError(errorBox, failed.error)
  const sources = {
    policies: policies.ok && Array.isArray(policies.json) ? policies.json : [],
    dataNodes: dataNodes.ok && Array.isArray(dataNodes.json) ? dataNodes.json : undefined,
    versions: versions.ok && Array.isArray(versions.json) ? versions.json : undefined,
    self: state.self?.name
  }
  renderNetwork(networkModel(sources), 'pinging…')
  const pings = await call('test network where format = json', { timeout: 5 })
  if (!pings.ok) showError(errorBox, pings.error)
  renderNetwork(networkModel({ ...sources, pings: pings.ok && Array.isArray(pings.json) ? pings.json : undefined }), '')
}

function badge (text, kind) {
  return h('span', { class: `badge ${kind}`, text })
}

function renderNetwork (model, note) {
  const operators = model.nodes.filter(n => n.roles.includes('operator')).length
  const queries = model.nodes.filter(n => n.roles.includes('query')).length
  byId('network-summary').textContent = [`${model.nodes.length} nodes: ${operators} operators in ${model.clusters.length} clusters, ${queries} query nodes`, note].filter(p => p !== '').join(' · ')
  const body = byId('network-nodes').tBodies[0]
  replaceChildren(body, model.nodes.map(n => h('tr', { dataset: { node: n.name } },
    h('td', {}, h('span', { class: 'node-name', text: n.name }), n.self ? badge('this node', 'info') : null),
    h('td', { class: 'roles', text: n.roles.join(', ') }),
    h('td', { text: n.cluster ?? '' }),
    h('td', {}, n.liveness === undefined ? null : badge(n.liveness, n.liveness === 'active' ? 'ok' : 'bad')),
    h('td', {}, n.ping === undefined ? null : badge(n.ping ? 'answered' : 'no answer', n.ping ? 'ok' : 'bad')),
    h('td', {}, n.metadataInSync === undefined ? null : badge(n.metadataInSync ? 'in sync' : 'differs', n.metadataInSync ? 'ok' : 'warn')),
    h('td', {}, n.restOrigin === undefined ? null : h('a', { href: `${n.restOrigin}/ui`, target: '_blank', rel: 'noopener noreferrer', title: 'open its console', text: n.restOrigin.replace(/^http:\/\//, '') })),
    h('td', { class: 'mono', text: n.p2pAddress ?? '' }),
    h('td', { class: 'tables', text: n.tables.join(', ') }))))
}

// ---------------------------------------------------------------- KubeArmor connectors

async function loadConnectors () {
  const box = byId('connectors')
  replaceChildren(box, h('p', { class: 'muted', text: 'loading…' }))
  const policies = await call('blockchain get operator')
  if (!policies.ok) { replaceChildren(box, h('div', { class: 'error' })); showError(box.firstChild, policies.error); return }
  const operators = networkModel({ policies: Array.isArray(policies.json) ? policies.json : [], self: state.self?.name }).nodes
  const selfIsOperator = state.self?.roles.includes('operator') === true
  if (selfIsOperator && !operators.some(o => o.self)) operators.unshift({ name: state.self.name, self: true, restOrigin: undefined })
  if (operators.length === 0) { replaceChildren(box, h('p', { class: 'muted', text: 'The metadata names no operator yet.' })); return }
  const sections = operators.map(op => {
    const content = h('div', {}, h('p', { class: 'muted', text: 'asking…' }))
    const where = op.self ? 'this node' : (op.restOrigin ?? 'no REST address in the metadata')
    const section = h('section', { class: 'connector', dataset: { node: op.name } }, h('h3', {}, op.name, ' ', h('span', { class: 'muted small', text: where })), content)
    return { op, content, section }
  })
  replaceChildren(box, sections.map(x => x.section))
  await Promise.all(sections.map(async ({ op, content }) => { await showConnectors(op, content) }))
}

async function showConnectors (op, content) {
  const command = 'get grpc client where format = json'
  const isSelf = op.self || op.restOrigin === location.origin
  if (!isSelf && op.restOrigin === undefined) { replaceChildren(content, h('p', { class: 'muted', text: 'Its REST address is not in the metadata.' })); return }
  // the token goes only to the node that served the page: the metadata names other addresses, not who may hold it
  const reply = isSelf
    ? await call(command)
    : await runCommand(command, { base: `${op.restOrigin}/`, signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS) })
  if (reply.ok) {
    const table = tableFromReply(reply)
    if (table === undefined || table.rows.length === 0) replaceChildren(content, h('p', { class: 'muted', text: 'No KubeArmor source is configured on this operator.' }))
    else replaceChildren(content, tableElement(table.columns, table.rows))
    return
  }
  if (reply.status === 0) {
    replaceChildren(content, h('p', { class: 'warn-text', text: `Not reachable from this browser at ${op.restOrigin}: ${reply.error.detail}` }))
  } else if (!isSelf && (reply.status === 401 || reply.status === 403)) {
    replaceChildren(content, h('p', { class: 'warn-text' }, 'This operator needs its token: ', h('a', { href: `${op.restOrigin}/ui`, target: '_blank', rel: 'noopener noreferrer', text: 'open its console' }), '.'))
  } else {
    const errorBox = h('div', { class: 'error' })
    replaceChildren(content, errorBox)
    showError(errorBox, reply.error)
  }
}

// ---------------------------------------------------------------- page

const TABS = { 'tab-query': 'query-view', 'tab-network': 'network-view', 'tab-connectors': 'connectors-view' }
const LOADERS = { 'tab-network': loadNetwork, 'tab-connectors': loadConnectors }

function selectTab (id) {
  for (const [tab, view] of Object.entries(TABS)) {
    byId(tab).setAttribute('aria-selected', String(tab === id))
    byId(view).hidden = tab !== id
  }
  if (LOADERS[id] !== undefined && !state.loaded.has(id)) {
    state.loaded.add(id)
    void LOADERS[id]()
  }
}

async function loadIdentity () {
  const reply = await call('get status where format = json')
  const identity = byId('node-identity')
  if (!reply.ok) { identity.textContent = reply.error.title; return }
  const roles = Array.isArray(reply.json?.roles) ? reply.json.roles.map(String) : []
  state.self = { name: String(reply.json?.assigned_name ?? ''), roles }
  identity.textContent = `${state.self.name} · ${roles.join(', ')}`
  if (!roles.includes('query')) byId('scope-picker').value = 'local'
}

async function reloadAll () {
  await loadIdentity()
  await loadCatalog()
  state.loaded.clear()
  const current = Object.keys(TABS).find(tab => byId(tab).getAttribute('aria-selected') === 'true') ?? 'tab-query'
  selectTab(current)
}

function wire () {
  for (const tab of Object.keys(TABS)) byId(tab).addEventListener('click', () => selectTab(tab))
  byId('query-form').addEventListener('submit', event => { event.preventDefault(); void runQuery() })
  byId('query-text').addEventListener('keydown', event => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); void runQuery() }
  })
  byId('cancel-button').addEventListener('click', () => { state.running?.abort(new Error('cancelled in the console')) })
  byId('catalog-refresh').addEventListener('click', () => { void loadCatalog() })
  byId('network-refresh').addEventListener('click', () => { void loadNetwork() })
  byId('connectors-refresh').addEventListener('click', () => { void loadConnectors() })
  byId('token-form').addEventListener('submit', event => {
    event.preventDefault()
    storeToken(byId('token-input').value.trim())
    hideBanner()
    showTokenState()
    void reloadAll()
  })
  byId('token-forget').addEventListener('click', () => { storeToken(''); showTokenState() })
  replaceChildren(byId('examples'), h('span', { class: 'muted small', text: 'Examples:' }), EXAMPLES.map(([label, sql]) =>
    h('button', { type: 'button', class: 'link example', text: label, on: { click: () => { byId('query-text').value = sql } } })))
  showTokenState()
}

wire()
void reloadAll()
