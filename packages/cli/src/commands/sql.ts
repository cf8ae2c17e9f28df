import { parseArgs } from 'node:util'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'
import { formatResponse, sendCommand } from '../rest-client.js'

const HELP = `Usage: fedlake sql DBMS "SELECT ..." [--format table|json] [--local] [--url URL]

Short form of: fedlake client 'run client () sql DBMS format=FORMAT "SELECT ..."'
The query runs on the network: the node fans it out to the operators holding the tables.

Options:
  --format F   table (default), json, json:list or json:output
  --local      run only on the node at --url, over its own data
  --url URL    the node's REST address (default http://127.0.0.1:32349, env FEDLAKE_URL)
  env FEDLAKE_REST_TOKEN  the node's REST token, sent as 'Authorization: Bearer <token>'
`

export const sqlCommand: CliCommand = {
  name: 'sql',
  summary: 'run a SQL query on the network: fedlake sql DBMS "SELECT ..."',
  help: HELP,
  async run (argv) {
    let parsed
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string' }, url: { type: 'string' }, local: { type: 'boolean' } } })
    } catch (err) { throw new UsageError((err as Error).message) }
    const [dbms, ...sqlParts] = parsed.positionals
    if (dbms === undefined || sqlParts.length === 0) throw new UsageError('expected DBMS and a SELECT statement')
    const format = parsed.values.format ?? 'table'
    if (!['table', 'json', 'json:list', 'json:output'].includes(format)) throw new UsageError(`unknown format '${format}'`)
    // EdgeLake's quotes around the SQL are optional; leaving them out keeps "quoted identifiers" intact.
    const sql = sqlParts.join(' ')
    const res = await sendCommand({
      url: parsed.values.url ?? process.env.FEDLAKE_URL ?? 'http://127.0.0.1:32349',
      token: process.env.FEDLAKE_REST_TOKEN,
      command: `sql ${dbms} format=${format} ${sql}`,
      destination: parsed.values.local === true ? undefined : 'network'
    })
    const out = formatResponse(res)
    if (res.status >= 400) { process.stderr.write(out); return 1 }
    process.stdout.write(out)
    return 0
  }
}
