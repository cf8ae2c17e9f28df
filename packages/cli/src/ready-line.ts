/**
 * Every long-running `fedlake` command prints one `ready key=value ...` line on stdout once it serves
 * (`ready rest=http://... p2p=... name=...`). Returns its fields, or undefined while `output` has no such line.
 */
export function parseReadyLine (output: string): Record<string, string> | undefined {
  const line = output.split('\n').find(l => l.startsWith('ready '))
  if (line === undefined) return undefined
  return Object.fromEntries(line.slice(6).trim().split(/\s+/).filter(kv => kv.includes('='))
    .map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
}
