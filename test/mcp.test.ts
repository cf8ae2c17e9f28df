/**
 * The MCP endpoint (`/mcp`) end to end, with the official SDK's client over Streamable HTTP against a running
 * network (a query node and three operators, test/helpers/network-fixture.ts): the tools are listed, explore
 * the catalog and the network, and run network SQL whose rows equal the reference's.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { startNetworkFixture } from './helpers/network-fixture.js'
import type { NetworkFixture } from './helpers/network-fixture.js'

const TOOLS = ['describe_table', 'explain_query', 'get_grpc_client_status', 'list_databases', 'list_tables', 'query', 'show_network']

interface ToolReply { readonly text: string, readonly isError: boolean }

async function connect (restUrl: string): Promise<Client> {
  const client = new Client({ name: 'fedlake-test', version: '0.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', restUrl)))
  return client
}

async function call (client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolReply> {
  const result = await client.callTool({ name, arguments: args })
  const content = result.content as Array<{ type: string, text?: string }>
  return { text: content.map(c => c.text ?? '').join('\n'), isError: result.isError === true }
}

describe('MCP at /mcp', () => {
  let net: NetworkFixture
  let client: Client

  before(async () => {
    net = await startNetworkFixture(23)
    client = await connect(net.url)
  })
  after(async () => {
    await client?.close()
    await net?.close()
  })

  it('lists the tools, each with a description; query and explain teach the dialect', async () => {
    const { tools } = await client.listTools()
    assert.deepEqual(tools.map(t => t.name).sort(), TOOLS)
    for (const tool of tools) assert.ok((tool.description ?? '').length > 40, `${tool.name} has a description`)
    const query = tools.find(t => t.name === 'query')
    for (const taught of ['increments(', 'period(', 'now() - 3 days']) assert.ok(query?.description?.includes(taught), `query's description teaches ${taught}`)
    assert.deepEqual(query?.inputSchema.required?.sort(), ['dbms', 'sql'])
    assert.equal(client.getServerVersion()?.name, 'fedlake')
  })

  it('lists databases, tables with their holders, and columns with their types', async () => {
    const dbs = await call(client, 'list_databases')
    assert.equal(dbs.isError, false, dbs.text)
    assert.match(dbs.text, /kubearmor/)
    const tables = await call(client, 'list_tables', { dbms: 'kubearmor' })
    assert.match(tables.text, /logs/)
    for (const op of ['op-1', 'op-2', 'op-3']) assert.ok(tables.text.includes(op), `${op} holds a table:\n${tables.text}`)
    const logs = await call(client, 'describe_table', { dbms: 'kubearmor', table: 'logs' })
    assert.equal(logs.isError, false, logs.text)
    assert.match(logs.text, /process_name\s+\|?\s*VARCHAR/i)
    assert.match(logs.text, /timestamp\s+\|?\s*TIMESTAMP/i)
    const missing = await call(client, 'describe_table', { dbms: 'kubearmor', table: 'nope' })
    assert.equal(missing.isError, true)
    assert.match(missing.text, /Tables of kubearmor: .*logs/)
  })

  it('shows the network: nodes, liveness, and which operator holds what', async () => {
    const network = await call(client, 'show_network')
    assert.equal(network.isError, false, network.text)
    assert.match(network.text, /query-1 \(this node\)/)
    for (const op of ['op-1', 'op-2', 'op-3']) assert.match(network.text, new RegExp(`${op}.*active`))
    assert.match(network.text, /kubearmor\.logs/)
  })

  it('runs network SQL: rows equal the reference, as a text table or JSON, capped at max_rows', async () => {
    const json = await call(client, 'query', { dbms: 'kubearmor', sql: 'select count(*) as n from logs', format: 'json' })
    assert.equal(json.isError, false, json.text)
    const rows = JSON.parse(json.text.slice(0, json.text.lastIndexOf(']') + 1)) as Array<{ n: number }>
    assert.deepEqual(rows, [{ n: net.total('logs') }])
    assert.match(json.text, /1 row; \d+ ms; 3 operators answered\./)

    const sql = 'select operation, count(*) as n from logs group by operation order by operation'
    const table = await call(client, 'query', { dbms: 'kubearmor', sql })
    assert.equal(table.isError, false, table.text)
    const reference = await net.reference(sql)
    assert.equal(reference.rows.length, table.text.split('\n').findIndex(l => /^\d+ rows?;/.test(l)) - 2, table.text)
    for (const [operation, n] of reference.rows) assert.match(table.text, new RegExp(`^\\s*${String(operation ?? '')}\\s+${String(n)}\\s*$`, 'm'), table.text)

    const capped = await call(client, 'query', { dbms: 'kubearmor', sql: 'select pid from logs', max_rows: 5 })
    assert.equal(capped.isError, false, capped.text)
    assert.match(capped.text, /5 rows shown; more rows exist/)

    const bucketed = await call(client, 'query', {
      dbms: 'kubearmor',
      sql: 'select increments(day, 1, timestamp), min(timestamp) as bucket, count(*) as n from logs where timestamp > now() - 3650 days',
      format: 'json'
    })
    assert.equal(bucketed.isError, false, bucketed.text)
    const buckets = JSON.parse(bucketed.text.slice(0, bucketed.text.lastIndexOf(']') + 1)) as Array<{ n: number }>
    const inRange = await net.reference('select count(*) as n from logs where timestamp > now() - interval 3650 day')
    assert.ok(buckets.length > 1, bucketed.text)
    assert.equal(buckets.reduce((s, b) => s + b.n, 0), inRange.rows[0]?.[0])

    const bad = await call(client, 'query', { dbms: 'kubearmor', sql: 'select no_such_column from logs' })
    assert.equal(bad.isError, true)
    assert.match(bad.text, /^[A-Z_]+ \(EdgeLake err_code \d+/)
  })

  it('explains a query without running it', async () => {
    const plan = await call(client, 'explain_query', { dbms: 'kubearmor', sql: 'select operation, avg(pid) from logs group by operation' })
    assert.equal(plan.isError, false, plan.text)
    assert.match(plan.text, /op-1/)
    assert.match(plan.text, /sum|count/i)
  })

  it('reports KubeArmor ingestion on an operator, and says a query node has none', async () => {
    const here = await call(client, 'get_grpc_client_status')
    assert.match(here.text, /no operator role/)
    const opClient = await connect(net.operators[0]?.ready.rest ?? '')
    try {
      const status = await call(opClient, 'get_grpc_client_status')
      assert.equal(status.isError, false, status.text)
      assert.match(status.text, /Node op-1\./)
      assert.match(status.text, /No KubeArmor source configured/)
      assert.match(status.text, /Ingest pipeline: received \d+, committed \d+/)
      const local = await call(opClient, 'query', { dbms: 'kubearmor', sql: 'select count(*) as n from logs', destination: 'local', format: 'json' })
      assert.equal(local.isError, false, local.text)
      const n = (JSON.parse(local.text.slice(0, local.text.lastIndexOf(']') + 1)) as Array<{ n: number }>)[0]?.n
      assert.equal(n, net.data.rows[0]?.logs?.length)
    } finally {
      await opClient.close()
    }
  })
})
