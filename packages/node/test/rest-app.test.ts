import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { FedlakeError, silentLogger } from '@fedlake/core'
import type { CommandHandler } from '@fedlake/core'
import { buildRestApp, createCommandRouter, createRestServer, parseUrlPairs, readEdgeLakeRequest } from '@fedlake/node'
import type { PutRequest } from '@fedlake/node'

const seen: { command: string, method: string, headers: Record<string, string> }[] = []
const handlers: CommandHandler[] = [
  {
    words: ['get', 'status'],
    methods: ['GET'],
    usage: 'get status',
    async execute () { return { kind: 'text', body: 'n1 running' } }
  },
  {
    words: ['sql'],
    methods: ['GET', 'POST'],
    usage: 'sql <dbms> "select ..."',
    async execute (command, ctx) {
      seen.push({ command, method: ctx.method, headers: { ...ctx.headers } })
      if (command.includes('nosuchtable')) throw new FedlakeError('TEST_UNKNOWN_TABLE', 'table nosuchtable not found')
      return { kind: 'json', body: { Query: [{ 'count(*)': 3 }] } }
    }
  },
  {
    words: ['get', 'things'],
    methods: ['GET'],
    usage: 'get things',
    async execute (command) {
      return { kind: 'table', columns: ['name', 'count'], rows: [['a', 1], ['bb', 22]], preferJson: command.includes('format = json') }
    }
  },
  {
    words: ['blockchain', 'insert'],
    methods: ['POST'],
    usage: 'blockchain insert where policy = {...}',
    async execute () { return { kind: 'json', body: { ok: true } } }
  }
]

const puts: PutRequest[] = []
const app = buildRestApp({
  nodeName: 'n1',
  logger: silentLogger,
  router: createCommandRouter(handlers),
  put: async (req) => { puts.push(req); return { rows: 2 } }
})
const AL = { 'user-agent': 'AnyLog/1.23' }

describe('REST app (EdgeLake contract)', () => {
  after(async () => { await app.close() })

  it('runs a command from the command header and returns JSON', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'sql kubearmor format=json "select count(*) from logs"' } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { Query: [{ 'count(*)': 3 }] })
    assert.equal(res.headers['access-control-allow-origin'], '*')
  })

  it('accepts AnyLog-Agent, URL ?key=value pairs and POST JSON bodies', async () => {
    seen.length = 0
    await app.inject({ method: 'GET', url: '/?User-Agent=AnyLog/1.23?destination=network?command=sql%20d%20select%201', headers: { 'user-agent': 'Mozilla/5.0' } })
    await app.inject({ method: 'POST', url: '/', headers: { 'anylog-agent': 'AnyLog/1.23', 'content-type': 'application/json' }, payload: JSON.stringify({ command: 'sql d select 2', subset: 'true' }) })
    await app.inject({ method: 'POST', url: '/', headers: { ...AL, 'content-type': 'application/json' }, payload: JSON.stringify({ dbms: 'd', sql: 'select 3' }) })
    assert.deepEqual(seen.map(s => s.command), ['sql d select 1', 'sql d select 2', 'sql d select 3'])
    assert.equal(seen[0]?.headers.destination, 'network')
    assert.equal(seen[1]?.headers.subset, 'true')
    assert.equal(seen[2]?.headers.destination, 'network')
  })

  it('answers a bare curl GET as get status and an unknown agent GET with an empty 200', async () => {
    const curl = await app.inject({ method: 'GET', url: '/', headers: { 'user-agent': 'curl/8.0' } })
    assert.equal(curl.body, 'n1 running')
    const browser = await app.inject({ method: 'GET', url: '/', headers: { 'user-agent': 'Mozilla/5.0' } })
    assert.equal(browser.statusCode, 200)
    assert.equal(browser.body, '')
  })

  it('renders table replies as text by default and JSON on request', async () => {
    const text = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'get things' } })
    assert.match(String(text.headers['content-type']), /text\/plain/)
    assert.equal(text.body, 'name count\n---- -----\na        1\nbb      22\n')
    const json = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'get things where format = json' } })
    assert.deepEqual(json.json(), [{ name: 'a', count: 1 }, { name: 'bb', count: 22 }])
  })

  it('gives EdgeLake error bodies with real HTTP statuses', async () => {
    const wrongMethod = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'blockchain insert where policy = {}' } })
    assert.equal(wrongMethod.statusCode, 400)
    assert.equal(wrongMethod.json().err_code, 156)
    assert.equal(wrongMethod.json().err_text, 'Wrong HTTP method used')
    const unknown = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'frobnicate now' } })
    assert.equal(unknown.statusCode, 400)
    assert.equal(unknown.json().code, 'COMMAND_UNKNOWN')
    const failing = await app.inject({ method: 'GET', url: '/', headers: { ...AL, command: 'sql d "select * from nosuchtable"' } })
    assert.equal(failing.json().local_msg, 'table nosuchtable not found')
    assert.equal(failing.json().node, 'n1')
    const badJson = await app.inject({ method: 'POST', url: '/', headers: { ...AL, 'content-type': 'application/json' }, payload: '{"command": ' })
    assert.equal(badJson.statusCode, 400)
    assert.equal(badJson.json().code, 'REST_BAD_BODY')
  })

  it('answers CORS preflight with the EdgeLake request headers allowed', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/', headers: { origin: 'http://grafana', 'access-control-request-method': 'POST' } })
    assert.equal(res.statusCode, 204)
    assert.match(String(res.headers['access-control-allow-headers']), /command/)
  })

  it('passes PUT bodies with their headers to the ingest handler and replies like EdgeLake', async () => {
    const res = await app.inject({ method: 'PUT', url: '/', headers: { ...AL, type: 'json', dbms: 'Test', table: 'Readings', mode: 'streaming', 'content-type': 'application/json' }, payload: '{"a":1}\n{"a":2}' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json()['AnyLog.status'], 'Success')
    assert.match(res.json()['AnyLog.hash'], /^[0-9a-f]{32}$/)
    assert.deepEqual({ dbms: puts[0]?.dbms, table: puts[0]?.table, body: puts[0]?.body.toString() }, { dbms: 'test', table: 'readings', body: '{"a":1}\n{"a":2}' })
    const noTable = await app.inject({ method: 'PUT', url: '/', headers: { ...AL, dbms: 'x' }, payload: '{}' })
    assert.equal(noTable.statusCode, 400)
    assert.equal(noTable.json().code, 'PUT_BAD_HEADERS')
  })
})

/** Waits `ms`, then says whether its signal was aborted meanwhile (a premature abort shows as aborted). */
const waitHandler: CommandHandler = {
  words: ['wait'],
  methods: ['GET', 'POST'],
  usage: 'wait <ms>',
  async execute (command, ctx) {
    const ms = Number(command.split(/\s+/)[1] ?? '50')
    await new Promise(resolve => setTimeout(resolve, ms))
    return { kind: 'json', body: { aborted: ctx.signal?.aborted === true, deadline: ctx.deadline !== undefined } }
  }
}

/** `stream <chunks> [fail|slow]`: NDJSON lines; `fail` throws after them, `slow` waits 100 ms per chunk. */
const streamHandler: CommandHandler = {
  words: ['stream'],
  methods: ['GET'],
  usage: 'stream <n>',
  async execute (command, ctx) {
    const [, n, mode] = command.split(/\s+/)
    async function * body (): AsyncGenerator<string> {
      for (let i = 0; i < Number(n); i++) {
        if (mode === 'slow') await new Promise(resolve => setTimeout(resolve, 100))
        ctx.signal?.throwIfAborted()
        yield `{"i":${i}}\n`
      }
      if (mode === 'fail') throw new FedlakeError('TEST_UNKNOWN_TABLE', 'broke midway')
      yield '{"Statistics":[{"Count":' + n + '}]}\n'
    }
    return { kind: 'stream', contentType: 'application/x-ndjson', body: body(), errorTrailer: e => `{"Error":${JSON.stringify(e)}}\n` }
  }
}

/** A raw HTTP GET that reports whether the body ended properly. */
async function rawGet (url: string, headers: Record<string, string>): Promise<{ status: number, body: string, complete: boolean }> {
  return await new Promise((resolve, reject) => {
    request(url, { headers }, res => {
      let body = ''
      let done = false
      const finish = (complete: boolean): void => { if (!done) { done = true; resolve({ status: res.statusCode ?? 0, body, complete }) } }
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => { finish(true) })
      res.on('error', () => { finish(false) })
      res.on('close', () => { finish(res.complete) })
    }).on('error', reject).end()
  })
}

describe('REST server', () => {
  const server = createRestServer({ host: '127.0.0.1', port: 0, nodeName: 'n1', logger: silentLogger, router: createCommandRouter([...handlers, waitHandler, streamHandler]), maxCommandTimeoutMs: 60_000 })
  before(async () => { await server.start() })
  after(async () => { await server.stop() })

  it('serves real HTTP on a random port and refuses PUT without the operator role', async () => {
    const res = await fetch(server.url(), { headers: { ...AL, command: 'get status' } })
    assert.equal(await res.text(), 'n1 running')
    const put = await fetch(server.url(), { method: 'PUT', headers: { ...AL, dbms: 'd', table: 't' }, body: '{}' })
    assert.equal(put.status, 409)
    assert.equal(((await put.json()) as { code: string }).code, 'ROLE_NOT_ENABLED')
  })

  it('takes a command header of 60 KiB (a long IN list), and answers 431 over 64 KiB', async () => {
    const sql = (bytes: number): string => `sql d "select count(*) from t where x in (${'1,'.repeat(bytes / 2)}1)"`
    const long = await fetch(server.url(), { headers: { ...AL, command: sql(60 * 1024) } })
    assert.equal(long.status, 200, await long.text())
    const tooLong = await fetch(server.url(), { headers: { ...AL, command: sql(70 * 1024) } })
    assert.equal(tooLong.status, 431)
    const body = await tooLong.json() as { code: string, local_msg: string, node: string }
    assert.equal(body.code, 'REST_HEADERS_TOO_LARGE')
    assert.match(body.local_msg, /over 64 KiB: send a long command in a POST JSON body/)
    assert.equal(body.node, 'n1')
  })

  it('answers bytes that are not HTTP with 400 REST_MALFORMED_REQUEST in the EdgeLake error shape', async () => {
    const { port } = new URL(server.url())
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => { socket.write('NOT HTTP AT ALL\r\n\r\n') })
      let text = ''
      socket.on('data', d => { text += d.toString() })
      socket.on('close', () => { resolve(text) })
      socket.on('error', reject)
    })
    assert.match(reply, /^HTTP\/1\.1 400 /)
    assert.match(reply, /"code":"REST_MALFORMED_REQUEST"/)
  })

  it('runs POST commands from a JSON body in every documented form, without aborting them', async () => {
    const forms: { headers: Record<string, string>, body: string }[] = [
      { headers: { ...AL }, body: JSON.stringify({ command: 'wait 50' }) },
      { headers: { ...AL, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'wait 50' }) },
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: 'wait 50', 'AnyLog-Agent': 'AnyLog/1.23' }) },
      { headers: { ...AL, command: 'wait 50' }, body: 'some body lines' }
    ]
    for (const form of forms) {
      const res = await fetch(server.url(), { method: 'POST', headers: form.headers, body: form.body })
      assert.equal(res.status, 200, `${JSON.stringify(form)}: ${res.status}`)
      assert.deepEqual(await res.json(), { aborted: false, deadline: true })
    }
  })

  it('refuses timeouts that are not durations or are over the node\'s limit, and takes good ones', async () => {
    for (const timeout of ['abc', '99999999999999', '-5', '0', '9999 min', '2 days']) {
      const res = await fetch(server.url(), { headers: { ...AL, command: 'wait 1', timeout } })
      assert.equal(res.status, 400, timeout)
      assert.equal(((await res.json()) as { code: string }).code, 'REST_BAD_TIMEOUT', timeout)
    }
    for (const timeout of ['10', '2.5', '500 ms', '1 min', '30s']) {
      const res = await fetch(server.url(), { headers: { ...AL, command: 'wait 1', timeout } })
      assert.equal(res.status, 200, timeout)
    }
    const started = performance.now()
    const late = await fetch(server.url(), { headers: { ...AL, command: 'wait 2000', timeout: '200 ms' } })
    assert.equal(late.status, 504, 'a handler that ignores its signal is not waited for')
    assert.equal(((await late.json()) as { code: string }).code, 'COMMAND_TIMEOUT')
    assert.ok(performance.now() - started < 1500, `answered at the deadline (${Math.round(performance.now() - started)} ms)`)
  })

  it('streams a body; a failure after the first chunk ends it with the error trailer and an incomplete HTTP body', async () => {
    const good = await rawGet(server.url(), { ...AL, command: 'stream 3' })
    assert.deepEqual({ status: good.status, complete: good.complete }, { status: 200, complete: true })
    assert.equal(good.body, '{"i":0}\n{"i":1}\n{"i":2}\n{"Statistics":[{"Count":3}]}\n')
    const cut = await rawGet(server.url(), { ...AL, command: 'stream 3 fail' })
    assert.equal(cut.status, 200)
    assert.equal(cut.complete, false)
    const last = JSON.parse(cut.body.trimEnd().split('\n').at(-1) ?? '') as { Error: { code: string, local_msg: string } }
    assert.deepEqual([last.Error.code, last.Error.local_msg], ['TEST_UNKNOWN_TABLE', 'broke midway'])
    const early = await rawGet(server.url(), { ...AL, command: 'stream 0 fail' })
    assert.equal(early.status, 500, 'a failure before the first chunk still gets a real status')
    const timedOut = await rawGet(server.url(), { ...AL, command: 'stream 50 slow', timeout: '350 ms' })
    assert.equal(timedOut.complete, false)
    assert.match(timedOut.body.trimEnd().split('\n').at(-1) ?? '', /COMMAND_TIMEOUT/)
  })
})

describe('request parsing', () => {
  it('splits EdgeLake URL pairs and keeps a command with spaces and quotes', () => {
    assert.deepEqual(parseUrlPairs('/?User-Agent=AnyLog/1.23?command=sql%20d%20format=table%20%22select%201%22'), {
      'user-agent': 'AnyLog/1.23', command: 'sql d format=table "select 1"'
    })
    const r = readEdgeLakeRequest({ method: 'GET', url: '/', headers: { 'anylog-agent': 'AnyLog/1.23', 'user-agent': 'Mozilla' } })
    assert.equal(r.agent, 'anylog')
  })
})
