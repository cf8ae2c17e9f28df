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
    assert.match(demo.output(), /curl -H 'User-Agent: AnyLog\/1.23'/, 'prints how to query the network')
    await waitFor(async () => {
      const nodes = (await restCommand(query, 'get data nodes where format = json')).json() as Array<Record<string, unknown>>
      const holders = new Set(nodes.filter(n => n.Table === 'logs').map(n => n['Node Name']))
      return holders.has('operator-1') && holders.has('operator-2')
    }, { timeoutMs: 30_000, what: 'the query node to know both operators hold kubearmor.logs' })
    for (const url of operators) {
      await waitFor(async () => Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n ?? 0) > 0, { timeoutMs: 20_000, what: 'rows on each operator' })
    }
    assert.equal(await demo.stop('SIGTERM', 30_000), 0, 'Ctrl-C stops the whole network cleanly')
  })
})
