/**
 * `EventData` exactly as KubeArmor's feeder derives it (KubeArmor/feeder/feeder.go parseDataString):
 * whitespace-separated `key=value` pairs of `Data`, plus those of `Resource` for Network events
 * (Resource wins on a clash); keys get only their first letter upper-cased; tokens without `=`
 * are skipped; absent when Data and Resource give nothing.
 */
export function parseDataString (data: string): Record<string, string> | undefined {
  if (data === '') return undefined
  const result: Record<string, string> = {}
  for (const pair of data.split(/\s+/)) {
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    const key = pair.slice(0, eq)
    result[key.length > 0 ? key[0]!.toUpperCase() + key.slice(1) : key] = pair.slice(eq + 1)
  }
  return result
}

export function deriveEventData (operation: string, data: string, resource: string): Record<string, string> | undefined {
  let merged = data.length > 0 ? parseDataString(data) : undefined
  if (resource.length > 0 && operation === 'Network') {
    const fromResource = parseDataString(resource)
    merged = merged === undefined ? fromResource : { ...merged, ...fromResource }
  }
  return merged
}

/**
 * The relay's enrichment (kubearmor-relay-server): for logs whose Data contains `tcp_`, append
 * ` remotehost=<pod|svc>/<ns>/<name>` to Resource when `remoteip=` is a known cluster IP.
 * EventData is left as the daemon computed it.
 */
export function relayRemoteHost (data: string, resource: string, lookup: (ip: string) => string | undefined): string {
  if (!data.includes('tcp_')) return resource
  const match = /(?:^|\s)remoteip=(\S+)/.exec(resource)
  if (match === null) return resource
  const host = lookup(match[1] as string)
  return host === undefined ? resource : `${resource} remotehost=${host}`
}
