/**
 * What `fedlake demo` prints once the network is up: where the console and Grafana connect, the seed's three
 * queries and a few more as commands that work when pasted into a shell, the nodes' metrics. Pure: URLs in,
 * text out (test/demo.test.ts runs every printed command through bash).
 */
import { shellCommand } from './shell-quote.js'

/** The three queries of the seed document, verbatim (issue 9: "The seed's three queries"). */
export const SEED_QUERIES: readonly string[] = [
  'select count(*) from logs',
  'select increments(hour, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation=\'File\' group by result ORDER by min_ts',
  'select updated_timestamp as timestamp, cluster_name, namespace, pod_name as pod, severity, policy_name as policy, message, action, result, tag, resource, source from alert where period(day, 1, now(), timestamp)'
]

export interface DemoNodeUrls {
  readonly name: string
  /** REST base URL, `http://host:port`. */
  readonly rest: string
}

export interface DemoBanner {
  readonly query: DemoNodeUrls
  readonly operators: readonly DemoNodeUrls[]
  readonly rate: number
  readonly dir: string
  readonly logs: string
  /** True when the data directory held a previous run's nodes. */
  readonly reused: boolean
  /** Operator directories of a previous run that this run does not start. */
  readonly notStarted?: readonly string[]
}

const ANYLOG = ['-H', 'User-Agent: AnyLog/1.23']

/** `curl` sending one EdgeLake command (to the network when `network`). */
export function curlCommand (url: string, command: string, network: boolean): string {
  return shellCommand(['curl', ...ANYLOG, ...(network ? ['-H', 'destination: network'] : []), '-H', `command: ${command}`, url])
}

/** `npx fedlake client` sending one command; run from the repository. */
export function clientCommand (url: string, command: string): string {
  return shellCommand(['npx', 'fedlake', 'client', '--url', url, command])
}

/** The network commands of the seed queries: JSON for the count, a table for the rest. */
export function seedCommands (): string[] {
  return SEED_QUERIES.map((sql, i) => `sql kubearmor ${i === 0 ? '' : 'format=table '}"${sql}"`)
}

/** The shell commands the banner prints, in order (the test runs each one). */
export function exampleCommands (b: Pick<DemoBanner, 'query' | 'operators'>): string[] {
  const q = b.query.rest
  const op1 = b.operators[0]?.rest ?? q
  return [
    ...seedCommands().map(c => curlCommand(q, c, true)),
    curlCommand(q, 'sql kubearmor format=table "select operation, count(*) from logs group by operation"', true),
    clientCommand(q, 'run client () sql kubearmor "select count(*) from alert"'),
    curlCommand(q, 'get data nodes', false),
    curlCommand(op1, 'get grpc client', false),
    clientCommand(q, 'query explain')
  ]
}

export function demoBanner (b: DemoBanner): string {
  const q = b.query.rest
  const n = b.operators.length
  const commands = exampleCommands(b)
  const nodes = [b.query, ...b.operators]
  const width = Math.max(...nodes.map(x => x.name.length)) + 2
  return [
    '',
    `fedlake demo is running: ${n} KubeArmor simulator(s) at ${b.rate} events/s each, ${n} operator(s), 1 query node.`,
    b.reused
      ? `Data: ${b.dir} (reused: the rows, node keys and metadata of the previous run are kept; --fresh starts from empty)`
      : `Data: ${b.dir} (a second run reuses it; --fresh starts from empty)`,
    ...(b.notStarted === undefined || b.notStarted.length === 0
      ? []
      : [`      ${b.notStarted.join(', ')}: kept but not started (the metadata was rebuilt without them)`]),
    '',
    ...nodes.map(x => `  ${x.name.padEnd(width)}REST ${x.rest}`),
    '',
    `Browser console:  ${q}/ui`,
    `Grafana:          add a JSON datasource (simpod-json-datasource) with URL ${q}, access Server;`,
    '                  dashboards in grafana/dashboards (docs/grafana.md)',
    '',
    'The seed\'s three queries over the whole network (every operator answers, the query node merges):',
    ...commands.slice(0, 3).map(c => `  ${c}`),
    '',
    'More of the network, with curl and the CLI (npx from the repository):',
    ...commands.slice(3, 5).map(c => `  ${c}`),
    '',
    'The metadata and one operator:',
    ...commands.slice(5).map(c => `  ${c}`),
    '',
    'Prometheus metrics (the ingest counters are on the operators):',
    ...nodes.map(x => `  ${x.name.padEnd(width)}${x.rest}/metrics`),
    '',
    `Logs: ${b.logs}.  Ctrl-C stops everything (a second Ctrl-C forces).`,
    ''
  ].join('\n')
}
