import { createInterface } from 'node:readline'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { appendFileSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'
import { formatResponse, sendCommand } from '../rest-client.js'

const HELP = `Usage: fedlake client [--url URL] ["<command>"]

Sends an EdgeLake command to a fedlake node's REST API and prints the reply.
With no command, opens an interactive prompt (history in ~/.fedlake_history).

Options:
  --url URL            the node's REST address (default http://127.0.0.1:32349, env FEDLAKE_URL)
  --destination D      'network' to run on the network (same as prefixing 'run client ()')
  --method GET|POST    override the method (default: EdgeLake's rule for the command)
  env FEDLAKE_REST_TOKEN  the node's REST token, sent as 'Authorization: Bearer <token>'
  -h, --help           this text

Examples:
  fedlake client "get status"
  fedlake client 'sql kubearmor format=table "select count(*) from logs"'
  fedlake client 'blockchain get operator'
`

export const clientCommand: CliCommand = {
  name: 'client',
  summary: 'send an EdgeLake command to a node\'s REST API',
  help: HELP,
  async run (argv) {
    let parsed
    try {
      parsed = parseArgs({ args: argv, allowPositionals: true, options: { url: { type: 'string' }, destination: { type: 'string' }, method: { type: 'string' } } })
    } catch (err) { throw new UsageError((err as Error).message) }
    const url = parsed.values.url ?? process.env.FEDLAKE_URL ?? 'http://127.0.0.1:32349'
    const method = parsed.values.method?.toUpperCase()
    if (method !== undefined && method !== 'GET' && method !== 'POST') throw new UsageError('--method must be GET or POST')
    const send = async (command: string): Promise<number> => {
      const res = await sendCommand({ url, command, method, destination: parsed.values.destination, token: process.env.FEDLAKE_REST_TOKEN })
      const out = formatResponse(res)
      if (res.status >= 400) { process.stderr.write(out); return 1 }
      process.stdout.write(out)
      return 0
    }
    if (parsed.positionals.length > 0) return await send(parsed.positionals.join(' '))
    return await interactive(url, send)
  }
}

async function interactive (url: string, send: (command: string) => Promise<number>): Promise<number> {
  const historyFile = join(homedir(), '.fedlake_history')
  let history: string[] = []
  try { history = readFileSync(historyFile, 'utf8').split('\n').filter(l => l.trim() !== '').reverse().slice(0, 500) } catch { /* no history yet */ }
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, historySize: 500, prompt: 'fedlake> ' })
  process.stdout.write(`connected to ${url}; type a command, 'exit' to leave\n`)
  rl.prompt()
  for await (const line of rl) {
    const command = line.trim()
    if (command === 'exit' || command === 'quit') break
    if (command !== '') {
      try { appendFileSync(historyFile, command + '\n') } catch { /* history is best effort */ }
      try { await send(command) } catch (err) { process.stderr.write(`error: ${(err as Error).message}\n`) }
    }
    rl.prompt()
  }
  rl.close()
  return 0
}
