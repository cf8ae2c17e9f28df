/** `npm start` runs `fedlake demo`: the whole local network must come up, ingest, gossip and stop cleanly. */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const dir = tempDir('demo')
let demo: Child | undefined
after(async () => { await demo?.stop('SIGTERM', 30_000); dir.remove() })

describe('fedlake demo', { timeout: 120_000 }, () => {
  it('starts simulators, two operators and a query node that learns both operators\' tables', async () => {
    demo = await startFedlake(['demo', '--rest-port', '0', '--p2p-port', '0', '--rate', '400', '--dir', dir.path], { readyTimeoutMs: 60_000 })
    const query = demo.ready.rest ?? ''
    const operators = (demo.ready.operators ?? '').split(',')
    assert.equal(operators.length, 2)
    assert.match(demo.output(), /curl -H 'User-Agent: AnyLog\/1.23' -H 'destination: network'/, 'prints how to query the network')
    assert.match(demo.output(), /run client \(\) sql kubearmor "select count\(\*\) from alert"/)
    await waitFor(async () => {
      const nodes = (await restCommand(query, 'get data nodes where format = json')).json() as Array<Record<string, unknown>>
      const holders = new Set(nodes.filter(n => n.Table === 'logs').map(n => n['Node Name']))
      return holders.has('operator-1') && holders.has('operator-2')
    }, { timeoutMs: 30_000, what: 'the query node to know both operators hold kubearmor.logs' })
    const local: number[] = []
    for (const url of operators) {
      local.push(await waitFor(async () => Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n ?? 0), { timeoutMs: 20_000, what: 'rows on each operator' }))
    }
    // the demo's own example: live counts from both operators through the query node
    const network = await restCommand(query, 'sql kubearmor format=json "select operation, count(*) as n from logs group by operation"', { headers: { destination: 'network' } })
    assert.equal(network.status, 200, network.text)
    const body = network.json() as { Query: { operation: string, n: number }[], Statistics: { Nodes: number }[] }
    assert.equal(body.Statistics[0]?.Nodes, 2, 'both operators answered')
    const total = body.Query.reduce((n, r) => n + r.n, 0)
    assert.ok(total >= (local[0] ?? 0) + (local[1] ?? 0), `the network count (${total}) covers what each operator had (${local.join(' + ')})`)
    assert.equal(await demo.stop('SIGTERM', 30_000), 0, 'Ctrl-C stops the whole network cleanly')
  })
})
