import type { CliCommand } from './command.js'
import { UsageError } from './command.js'

/** Subcommands load lazily so `fedlake kubearmor-sim` does not pay for DuckDB or libp2p. */
const COMMANDS: Record<string, { summary: string, load: () => Promise<CliCommand> }> = {
  demo: { summary: 'run a local network: simulators, operators and a query node', load: async () => (await import('./commands/demo.js')).demoCommand },
  node: { summary: 'run one fedlake node (operator and/or query role)', load: async () => (await import('./commands/node.js')).nodeCommand },
  'kubearmor-sim': { summary: 'run a simulated KubeArmor LogService (gRPC)', load: async () => (await import('./commands/kubearmor-sim.js')).kubearmorSimCommand },
  client: { summary: 'send an EdgeLake command to a node\'s REST API', load: async () => (await import('./commands/client.js')).clientCommand },
  sql: { summary: 'run a SQL query on the network: fedlake sql DBMS "SELECT ..."', load: async () => (await import('./commands/sql.js')).sqlCommand }
}

export function usage (): string {
  const width = Math.max(...Object.keys(COMMANDS).map(k => k.length))
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return `fedlake: a federated query network for edge telemetry\n\nUsage: fedlake <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'fedlake <command> --help' for a command's options.\n`
}

export async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return name === undefined ? 1 : 0
  }
  const entry = COMMANDS[name]
  if (entry === undefined) {
    process.stderr.write(`fedlake: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  const command = await entry.load()
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help)
    return 0
  }
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`fedlake ${name}: ${err.message}\n\n${command.help}`)
      return 2
    }
    const code = (err as { code?: unknown }).code
    process.stderr.write(`fedlake ${name}: ${typeof code === 'string' ? `[${code}] ` : ''}${(err as Error).message}\n`)
    return 1
  }
}
