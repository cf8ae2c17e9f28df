/**
 * The REST bearer token and the probes, end to end on a node process: without the token every route answers 401
 * in EdgeLake's error shape (commands, PUT, /metrics, /mcp), with it 200; GET /health and GET /ready stay open;
 * the token's value never reaches the node's log.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { FEDLAKE_BIN, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const TOKEN = randomBytes(24).toString('base64url')
const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

async function request (url: string, path: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<{ status: number, headers: Headers, text: string }> {
  const res = await fetch(new URL(path, url), { method: init.method ?? 'GET', headers: { 'User-Agent': 'AnyLog/1.23', ...init.headers }, ...(init.body === undefined ? {} : { body: init.body }) })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** `fedlake client <command>` with the given environment: its exit code and output. */
async function cli (url: string, command: string, env: Record<string, string>): Promise<{ code: number | null, out: string }> {
  const proc = spawn(process.execPath, [FEDLAKE_BIN, 'client', '--url', url, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number | null>(resolve => { proc.once('exit', resolve) })
  return { code, out }
}

describe('REST token and health probes', () => {
  let node: Child
  let url: string

  before(async () => {
    const dir = tempDir('token')
    cleanups.push(() => { dir.remove() })
    // debug logs, so that "not in the log" covers every line the node writes
    node = await startFedlake(['node', '--name', 'tok-1', '--roles', 'operator,query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path],
      { env: { FEDLAKE_REST_TOKEN: TOKEN, FEDLAKE_LOG_LEVEL: 'debug' } })
    cleanups.push(async () => { await node.stop('SIGKILL') })
    url = node.ready.rest ?? ''
  })

  it('serves GET /health and GET /ready without the token', async () => {
    const live = await request(url, '/health')
    assert.equal(live.status, 200, live.text)
    assert.equal((JSON.parse(live.text) as { status: string }).status, 'healthy')
    const ready = await waitFor(async () => { const r = await request(url, '/ready'); return r.status === 200 ? r : undefined }, { what: 'GET /ready 200' })
    const body = JSON.parse(ready.text) as { status: string, checks: Record<string, boolean> }
    assert.equal(body.status, 'ready')
    assert.deepEqual(body.checks, { started: true, metadata: true, storage: true, query: true })
  })

  it('answers 401 in EdgeLake\'s error shape without the token or with a wrong one', async () => {
    const missing = await request(url, '/', { headers: { command: 'get status' } })
    assert.equal(missing.status, 401, missing.text)
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="fedlake"$/)
    const body = JSON.parse(missing.text) as Record<string, unknown>
    assert.equal(body.code, 'REST_TOKEN_MISSING')
    assert.equal(typeof body.err_code, 'number')
    assert.equal(body.err_text, 'Authentication failed')

    const wrong = await request(url, '/', { headers: { command: 'get status', authorization: `Bearer ${TOKEN}x` } })
    assert.equal(wrong.status, 401, wrong.text)
    assert.equal((JSON.parse(wrong.text) as Record<string, unknown>).code, 'REST_TOKEN_INVALID')
    assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/)

    const basic = await request(url, '/', { headers: { command: 'get status', authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } })
    assert.equal(basic.status, 401)

    for (const [path, init] of [
      ['/metrics', {}],
      ['/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' }],
      ['/', { method: 'PUT', headers: { type: 'json', dbms: 'kubearmor', table: 'tok' }, body: '{"a":1}' }],
      ['/no-such-path', {}]
    ] as const) {
      const r = await request(url, path, init)
      assert.equal(r.status, 401, `${init.method ?? 'GET'} ${path}: ${r.text}`)
    }
  })

  it('answers with the token, whatever the case of "Bearer"', async () => {
    const ok = await request(url, '/', { headers: { command: 'get status', authorization: `Bearer ${TOKEN}` } })
    assert.equal(ok.status, 200, ok.text)
    const lower = await request(url, '/', { headers: { command: 'get status', authorization: `bearer ${TOKEN}` } })
    assert.equal(lower.status, 200, lower.text)
    const put = await request(url, '/', { method: 'PUT', headers: { type: 'json', dbms: 'kubearmor', table: 'tok', authorization: `Bearer ${TOKEN}` }, body: '{"a":1}' })
    assert.equal(put.status, 200, put.text)
    const metrics = await request(url, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(metrics.status, 200)
    const refused = /^fedlake_rest_unauthorized_requests_total (\d+)$/m.exec(metrics.text)
    assert.ok(Number(refused?.[1]) >= 7, `refusals counted: ${refused?.[0]}`)
    const mcp = await request(url, '/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } } })
    })
    assert.equal(mcp.status, 200, mcp.text)
    assert.match(mcp.text, /"serverInfo":\{"name":"fedlake"/)
  })

  it('lets fedlake client send the token from FEDLAKE_REST_TOKEN', async () => {
    const without = await cli(url, 'get status', { FEDLAKE_REST_TOKEN: '' })
    assert.equal(without.code, 1, without.out)
    assert.match(without.out, /REST_TOKEN_MISSING/)
    const withToken = await cli(url, 'get status', { FEDLAKE_REST_TOKEN: TOKEN })
    assert.equal(withToken.code, 0, withToken.out)
    assert.match(withToken.out, /tok-1@.* running/)
  })

  it('logs refusals without the token', async () => {
    assert.match(node.output(), /request refused: no valid REST token/)
    assert.ok(!node.output().includes(TOKEN), 'the token appears in the node\'s output')
  })
})
