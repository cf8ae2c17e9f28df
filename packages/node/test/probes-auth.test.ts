/** The probes and the REST token guard on the REST app, in process (fastify inject): the cases a process test cannot reach. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createLogger, loadNodeConfig } from '@fedlake/core'
import { bearerCredentials, buildRestApp, createCommandRouter, healthRoutes, isPublicRoute, readinessOf, restTokenGuard } from '@fedlake/node'
import type { NodeServices } from '@fedlake/node'

const TOKEN = 'unit-test-token-0123456789'

/** A node that has not finished starting: no metadata layer, no network executor. */
function startingNode (overrides: Partial<{ started: boolean, metadata: boolean }> = {}): NodeServices {
  const config = loadNodeConfig({ overrides: { name: 'n1', roles: ['query'] } })
  return {
    config,
    router: createCommandRouter([]),
    network: () => undefined,
    metadata: () => (overrides.metadata === true ? {} : undefined) as ReturnType<NodeServices['metadata']>,
    started: () => overrides.started ?? false,
    eventLoop: undefined as unknown as NodeServices['eventLoop']
  }
}

describe('probes and the REST token', () => {
  it('reads bearer credentials only from "Bearer <token>"', () => {
    assert.equal(bearerCredentials(`Bearer ${TOKEN}`), TOKEN)
    assert.equal(bearerCredentials(`  bearer   ${TOKEN} `), TOKEN)
    assert.equal(bearerCredentials(undefined), undefined)
    assert.equal(bearerCredentials(`Basic ${TOKEN}`), undefined)
    assert.equal(bearerCredentials('Bearer a b'), undefined)
  })

  it('leaves only the probes, the console\'s pages and preflights public', () => {
    assert.equal(isPublicRoute('GET', '/health'), true)
    assert.equal(isPublicRoute('HEAD', '/ready'), true)
    assert.equal(isPublicRoute('GET', '/ui/app.js'), true)
    assert.equal(isPublicRoute('OPTIONS', '/*'), true)
    assert.equal(isPublicRoute('POST', '/health'), false)
    assert.equal(isPublicRoute('GET', '/metrics'), false)
    assert.equal(isPublicRoute('POST', '/mcp'), false)
    assert.equal(isPublicRoute('GET', '/*'), false)
    assert.equal(isPublicRoute('GET', undefined), false)
  })

  it('answers GET /ready 503 with the failed checks until the node has started, and 200 after', async () => {
    assert.deepEqual(readinessOf(startingNode()), { ready: false, checks: { started: false, metadata: false, query: false } })
    const services = startingNode()
    const app = buildRestApp({ nodeName: 'n1', router: services.router, logger: createLogger({ level: 'silent' }), plugins: [healthRoutes(services)] })
    const notReady = await app.inject({ method: 'GET', url: '/ready' })
    assert.equal(notReady.statusCode, 503)
    assert.deepEqual(JSON.parse(notReady.body), { status: 'not ready', node: 'n1', checks: { started: false, metadata: false, query: false } })
    const live = await app.inject({ method: 'GET', url: '/health', headers: { 'user-agent': 'kube-probe/1.30' } })
    assert.equal(live.statusCode, 200)
    assert.equal(JSON.parse(live.body).service, 'anylog-rest-server')
    await app.close()
    assert.equal(readinessOf(startingNode({ started: true, metadata: true })).checks.query, false)
  })

  it('refuses without the token, logs one line per interval without its value, and counts every refusal', async () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'debug', sink: line => { lines.push(line) } })
    const guard = restTokenGuard({ token: TOKEN, nodeName: 'n1', logger })
    const services = startingNode()
    const app = buildRestApp({ nodeName: 'n1', router: services.router, logger, plugins: [guard.plugin, healthRoutes(services)] })
    for (let i = 0; i < 3; i++) {
      const r = await app.inject({ method: 'GET', url: '/', headers: { command: 'get status', authorization: `Bearer ${TOKEN}-${i}` } })
      assert.equal(r.statusCode, 401)
      assert.equal(JSON.parse(r.body).code, 'REST_TOKEN_INVALID')
    }
    assert.equal((await app.inject({ method: 'OPTIONS', url: '/', headers: { origin: 'http://x', 'access-control-request-method': 'GET' } })).statusCode, 204)
    assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 503, 'the probe answers without the token')
    assert.equal(guard.refused(), 3)
    const refusals = lines.filter(l => l.includes('request refused'))
    assert.equal(refusals.length, 1, lines.join('\n'))
    assert.ok(!lines.join('\n').includes(TOKEN))
    await app.close()
  })
})
