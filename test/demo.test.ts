/**
 * `npm start` runs `fedlake demo`: the whole local network must come up, ingest, gossip, print commands that
 * work when pasted into a shell, stop cleanly on Ctrl-C, and keep its data for the next run.
 */
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { prepareDemoDir } from '@fedlake/cli'
import { waitFor } from '@fedlake/core'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const REPO = fileURLToPath(new URL('..', import.meta.url))

/** The seed document's three queries (issue 9), which the demo prints as its query examples. */
const SEED_QUERIES = [
  'select count(*) from logs',
  'select increments(hour, 1, updated_timestamp), result, min(updated_timestamp) as min_ts, max(updated_timestamp) as max_ts, count(*) as row_count from logs where operation=\'File\' group by result ORDER by min_ts',
  'select updated_timestamp as timestamp, cluster_name, namespace, pod_name as pod, severity, policy_name as policy, message, action, result, tag, resource, source from alert where period(day, 1, now(), timestamp)'
]

const dir = tempDir('demo')
let demo: Child | undefined
after(async () => { await demo?.stop('SIGTERM', 30_000); dir.remove() })

interface Shell { code: number, stdout: string, stderr: string }

/** Runs one command line through bash from the repository root, as a user pasting it would. */
function bash (line: string): Promise<Shell> {
  return new Promise(resolve => {
    execFile('bash', ['-c', line], { cwd: REPO, env: { ...process.env, FEDLAKE_LOG_LEVEL: 'warn' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** The words bash makes of a printed command line (its program replaced by a printer of its arguments). */
async function wordsOf (line: string): Promise<string[]> {
  const res = await bash(`words () { printf '%s\\0' "$@"; }; ${line.replace(/^(curl|npx)\b/, 'words $1')}`)
  assert.equal(res.code, 0, res.stderr)
  return res.stdout.split('\0').slice(0, -1)
}

function exampleLines (output: string): string[] {
  return output.split('\n').filter(l => /^ {2}(curl|npx) /.test(l)).map(l => l.trim())
}

/** The `fedlake node` processes the demo started (not tsx's esbuild service). */
function nodePids (pid: number): number[] {
  let lines: string[]
  try {
    lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n')
  } catch { return [] } // ps exits 1 when there is none
  return lines.filter(l => / node --name /.test(l)).map(l => Number(l.trim().split(' ')[0])).filter(n => n > 0)
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

/** Rows of an answer: JSON replies' `Query`, else the lines under a table's `----` rule. */
function rowsOf (body: string): number {
  const text = body.trim()
  if (text.startsWith('{')) {
    const json = JSON.parse(text) as { Query?: unknown[] }
    assert.ok(!('err_code' in json), text)
    return json.Query?.length ?? 0
  }
  const lines = text.split('\n')
  const rule = lines.findIndex(l => /^-+( -+)*$/.test(l.trim()))
  return rule < 0 ? 0 : lines.slice(rule + 1).filter(l => l.trim() !== '' && !l.startsWith('{')).length
}

async function operatorCounts (operators: string[]): Promise<number[]> {
  const counts: number[] = []
  for (const url of operators) counts.push(Number((await localQuery(url, 'kubearmor', 'select count(*) as n from logs'))[0]?.n ?? 0))
  return counts
}

describe('fedlake demo', { timeout: 150_000 }, () => {
  let before: number[] = []

  it('prints the console, Grafana and metrics URLs and the seed queries as commands that answer when pasted', async () => {
    demo = await startFedlake(['demo', '--rest-port', '0', '--p2p-port', '0', '--rate', '400', '--dir', dir.path], { readyTimeoutMs: 60_000 })
    const query = demo.ready.rest ?? ''
    const operators = (demo.ready.operators ?? '').split(',')
    assert.equal(operators.length, 2)
    assert.match(query, /^http:\/\/127\.0\.0\.1:\d+$/, 'the ready line carries the real port of --rest-port 0')
    const out = demo.output()
    assert.ok(out.includes(`${query}/ui`), 'the console URL')
    assert.ok(out.includes(`JSON datasource (simpod-json-datasource) with URL ${query},`), 'the Grafana datasource URL')
    for (const url of [query, ...operators]) assert.ok(out.includes(`${url}/metrics`), `the metrics URL of ${url}`)

    await waitFor(async () => {
      const nodes = (await restCommand(query, 'get data nodes where format = json')).json() as Array<Record<string, unknown>>
      const holders = new Set(nodes.filter(n => n.Table === 'alert').map(n => n['Node Name']))
      return holders.has('operator-1') && holders.has('operator-2')
    }, { timeoutMs: 30_000, what: 'the query node to know both operators hold kubearmor.alert' })
    await waitFor(async () => (await operatorCounts(operators)).every(n => n > 0), { timeoutMs: 20_000, what: 'rows on each operator' })

    const lines = exampleLines(out)
    const words = await Promise.all(lines.map(wordsOf))
    for (const sql of SEED_QUERIES) {
      const i = words.findIndex(w => w[0] === 'curl' && w.some(x => /^command: sql kubearmor (format=\w+ )?"/.test(x) && x.endsWith(`"${sql}"`)))
      assert.ok(i >= 0, `a curl command runs the seed query ${sql}:\n${lines.join('\n')}`)
      assert.ok(words[i]?.includes('destination: network'), 'over the network')
    }
    assert.ok(words.some(w => w[0] === 'npx' && w[1] === 'fedlake' && w[2] === 'client'), 'a fedlake client example')

    for (const line of lines) {
      if (line.startsWith('curl ')) {
        const res = await bash(`${line} -sS -w '\\n%{http_code}'`)
        assert.equal(res.code, 0, `${line}\n${res.stderr}`)
        const status = res.stdout.slice(res.stdout.lastIndexOf('\n') + 1)
        const body = res.stdout.slice(0, res.stdout.lastIndexOf('\n'))
        assert.equal(status, '200', `${line}\n${body}`)
        assert.ok(rowsOf(body) > 0, `${line} answers rows:\n${body.slice(0, 2000)}`)
      } else {
        const res = await bash(line)
        assert.equal(res.code, 0, `${line}\n${res.stderr}`)
        assert.ok(res.stdout.trim() !== '', `${line} prints its answer`)
        if (line.includes('select count(*) from alert')) assert.ok(rowsOf(res.stdout) > 0, res.stdout)
      }
    }

    for (const url of operators) {
      const text = await (await fetch(`${url}/metrics`)).text()
      const committed = text.split('\n').filter(l => l.startsWith('fedlake_ingest_rows_committed_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
      assert.ok(committed > 0, `${url}/metrics shows rows committed`)
    }
    // the query node holds no data, yet its /metrics shows what each operator ingests (reported over liveness)
    await waitFor(async () => {
      const text = await (await fetch(`${query}/metrics`)).text()
      const perNode = new Map(text.split('\n').filter(l => l.startsWith('fedlake_network_ingest_rows_committed_total{'))
        .map(l => [/node="([^"]+)"/.exec(l)?.[1], Number(l.split(' ').at(-1))]))
      return perNode.size === 2 && [...perNode.values()].every(n => n > 0)
    }, { timeoutMs: 20_000, what: 'the query node\'s /metrics to show rows committed by both operators' })

    // Ctrl-C: every node exits, the demo exits 0, nothing is left behind
    before = await operatorCounts(operators)
    const pids = nodePids(demo.proc.pid ?? 0)
    assert.equal(pids.length, 3, 'a query node and two operators run as child processes')
    assert.equal(await demo.stop('SIGINT', 30_000), 0, 'Ctrl-C stops the whole network cleanly')
    assert.deepEqual(pids.filter(alive), [], 'no node outlives the demo')
    assert.match(demo.output(), /demo stopped/)
  })

  it('reuses its data on a second run, with more operators, and a second Ctrl-C forces', async () => {
    assert.ok(before.length === 2, 'the first run recorded its counts')
    demo = await startFedlake(['demo', '--rest-port', '0', '--p2p-port', '0', '--rate', '50', '--operators', '3', '--dir', dir.path], { readyTimeoutMs: 60_000 })
    const query = demo.ready.rest ?? ''
    const operators = (demo.ready.operators ?? '').split(',')
    assert.equal(operators.length, 3, 'an extra operator gets a new directory')
    assert.match(demo.output(), /reused/)
    const now = await operatorCounts(operators.slice(0, 2))
    assert.ok(now.every((n, i) => n >= (before[i] ?? 0)), `each operator still has its rows: ${now.join(', ')} >= ${before.join(', ')}`)
    // same node keys: the metadata layer knows one operator-1, not a second one with a new identity
    const nodes = (await restCommand(query, 'get data nodes where format = json')).json() as Array<Record<string, unknown>>
    assert.equal(nodes.filter(n => n.Table === 'logs' && n['Node Name'] === 'operator-1').length, 1, JSON.stringify(nodes))
    const count = await waitFor(async () => {
      const reply = await restCommand(query, 'sql kubearmor format=json and stat=false "select count(*) as n from logs"', { headers: { destination: 'network' } })
      const n = Number((reply.json() as { Query?: Array<{ n: number }> }).Query?.[0]?.n ?? 0)
      return n >= before.reduce((a, b) => a + b, 0) ? n : undefined
    }, { timeoutMs: 20_000, what: 'the network count to cover the first run\'s rows' })
    assert.ok(count > 0)

    const pids = nodePids(demo.proc.pid ?? 0)
    assert.equal(pids.length, 4)
    demo.proc.kill('SIGINT')
    const first = demo
    await waitFor(() => first.output().includes('stopping the demo network'), { what: 'the demo to begin stopping' })
    demo.proc.kill('SIGINT')
    assert.equal(await demo.stop('SIGINT', 30_000), 130, 'a second Ctrl-C kills every node at once')
    assert.deepEqual(pids.filter(alive), [], 'no node outlives the demo')
  })

  it('runs with fewer operators than its directory holds, a killed demo leaves no node, and --fresh starts from empty', async () => {
    demo = await startFedlake(['demo', '--rest-port', '0', '--p2p-port', '0', '--rate', '50', '--operators', '1', '--dir', dir.path], { readyTimeoutMs: 60_000 })
    const query = demo.ready.rest ?? ''
    assert.match(demo.output(), /operator-2, operator-3: kept but not started/)
    // the metadata lists only operator-1 again, so a network query answers instead of naming operator-3 unreachable
    const n = await waitFor(async () => {
      const reply = await restCommand(query, 'sql kubearmor format=json "select count(*) as n from logs"', { headers: { destination: 'network' } })
      if (reply.status !== 200) return undefined
      const body = reply.json() as { Query: Array<{ n: number }>, Statistics: Array<{ Nodes: number }> }
      return body.Statistics[0]?.Nodes === 1 ? body.Query[0]?.n : undefined
    }, { timeoutMs: 20_000, what: 'a network count from operator-1 alone' })
    assert.ok(n >= (before[0] ?? 0), `operator-1 kept its rows: ${n} >= ${before[0]}`)
    const pids = nodePids(demo.proc.pid ?? 0)
    assert.equal(pids.length, 2)
    assert.equal(await demo.stop('SIGKILL'), 'SIGKILL')
    await waitFor(() => pids.every(p => !alive(p)), { timeoutMs: 20_000, what: 'the nodes of a killed demo to stop' })

    const other = join(dir.path, 'not-a-demo')
    mkdirSync(other)
    writeFileSync(join(other, 'precious.txt'), 'keep me')
    const refused = await bash(`node packages/cli/bin/fedlake.js demo --fresh --dir ${other}`)
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /not a fedlake demo directory/)
    assert.ok(existsSync(join(other, 'precious.txt')))
    const fresh = prepareDemoDir(dir.path, { fresh: true, operators: 2 })
    assert.deepEqual(fresh, { ok: true, reused: false, logs: join(dir.path, 'logs'), notStarted: [] })
    assert.deepEqual(readdirSync(dir.path).sort(), ['.fedlake-demo', 'logs'], 'the previous runs\' nodes are gone')
  })
})
