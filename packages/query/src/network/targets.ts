/**
 * Which operators a query goes to: for every table, each cluster holding it contributes one operator
 * (EdgeLake: a cluster's operators hold the same data). `nodes = main` prefers the cluster's main operator,
 * else takes the live ones in turn; `nodes = all` takes the live ones in turn. A member the liveness view
 * marks unreachable is skipped while another is live; a cluster with none live is still tried (the liveness
 * view may lag), first its main operator.
 *
 * Members that stream a table publish an ingest watermark (the event time from which they hold every event;
 * KubeArmor does not replay what a member missed while it was down). Before the rules above, the live members
 * are narrowed to those whose watermark covers the query's time range (`from`, the WHERE clause's lower bound);
 * with no such bound, or none covering it, to those that have held the table the longest. Members without a
 * watermark for the table (PUT-fed tables) are chosen as before.
 */
import type { JsonValue } from '@fedlake/core'
import type { Catalog, ClusterHolding, OperatorEntry } from '@fedlake/metadata'

export type NodesOption = 'main' | 'all'

export interface OperatorTarget {
  readonly peerId: string
  readonly name: string
  readonly clusterId: string
  readonly ip?: string
  readonly port?: number
  /** The operator's node policy attributes, lower-case keys (for `extend = (+attribute)`). */
  readonly attributes: Readonly<Record<string, JsonValue>>
  /**
   * How long the liveness view has had no sign of life from it, when it has lost it (absent: active, or never
   * heard of yet). Such an operator gets only a short probe instead of the query's whole deadline.
   */
  readonly lostForMs?: number
  /** The other live members of its cluster, in the order a retry moves to them. */
  readonly alternatives: readonly OperatorTarget[]
}

export interface TargetChoice {
  readonly targets: readonly OperatorTarget[]
  /** Clusters that hold a table but name no operator with a peer id. */
  readonly withoutOperators: readonly ClusterHolding[]
  /** Per cluster asked, the member chosen and why (for `query explain`). */
  readonly reasons: readonly ChoiceReason[]
}

export interface ChoiceReason {
  readonly cluster: string
  readonly member: string
  readonly reason: string
}

/** Round-robin positions per cluster, kept by the executor across queries. */
export type Rotation = Map<string, number>

export interface ChooseOptions {
  /** The earliest event time (epoch ms) the query reads; absent when its WHERE does not bound it. */
  readonly from?: number
  readonly attributesOf?: (policyId: string) => Readonly<Record<string, JsonValue>> | undefined
}

export function chooseTargets (catalog: Catalog, dbms: string, tables: readonly string[], nodes: NodesOption, rotation: Rotation,
  options: ChooseOptions = {}): TargetChoice {
  const { attributesOf } = options
  const chosen = new Map<string, OperatorTarget>()
  const withoutOperators: ClusterHolding[] = []
  const reasons: ChoiceReason[] = []
  const seenClusters = new Set<string>()
  for (const table of tables) {
    for (const cluster of catalog.clustersHolding(dbms, table)) {
      if (seenClusters.has(cluster.clusterId)) continue
      seenClusters.add(cluster.clusterId)
      const candidates = cluster.operators.filter(o => o.peerId !== undefined)
      if (candidates.length === 0) { withoutOperators.push(cluster); continue }
      const watermarks = watermarkChoice(candidates.filter(o => o.status === 'active'), `${dbms}.${table}`.toLowerCase(), options.from)
      const covering = new Set(watermarks.members)
      const { pick, rule } = pickOperator(candidates, covering, nodes, rotation, cluster.clusterId)
      reasons.push({ cluster: cluster.clusterName, member: pick.name, reason: `${watermarks.reason}; ${rule}` })
      const asTarget = (o: OperatorEntry, alternatives: readonly OperatorTarget[]): OperatorTarget => targetOf(o, cluster.clusterId, alternatives, attributesOf)
      // covering members first, then the other live ones; one the liveness view has lost last (the view may lag behind)
      const rank = (o: OperatorEntry): number => (covering.has(o) ? 2 : 0) + (o.status === 'active' ? 1 : 0)
      const others = candidates.filter(o => o !== pick).sort((a, b) => rank(b) - rank(a)).map(o => asTarget(o, []))
      chosen.set(pick.peerId as string, asTarget(pick, others))
    }
  }
  return { targets: [...chosen.values()], withoutOperators, reasons }
}

/**
 * Targets the user named (`run client (ip:port, ...)` or a `blockchain get` that lists ip:port): an operator is
 * named when its policy's ip:port (the p2p port) or its REST address is in the list. Each cluster holding the
 * table contributes its first named member (two members of one cluster hold the same rows; both would count
 * them twice); clusters with no named member are not asked. A named member stands alone: no retry elsewhere.
 */
export function chooseNamedTargets (catalog: Catalog, dbms: string, table: string, addresses: ReadonlySet<string>,
  attributesOf?: (policyId: string) => Readonly<Record<string, JsonValue>> | undefined): OperatorTarget[] {
  const chosen: OperatorTarget[] = []
  for (const cluster of catalog.clustersHolding(dbms, table)) {
    const named = cluster.operators.find(o => o.peerId !== undefined && isNamed(o, addresses))
    if (named === undefined) continue
    chosen.push(targetOf(named, cluster.clusterId, [], attributesOf))
  }
  return chosen
}

/** Named addresses no operator of the catalog answers to (a typo, or a node that is not an operator). */
export function unknownAddresses (catalog: Catalog, dbms: string, tables: readonly string[], addresses: ReadonlySet<string>): string[] {
  const known = new Set<string>()
  for (const table of tables) {
    for (const cluster of catalog.clustersHolding(dbms, table)) {
      for (const o of cluster.operators) {
        if (o.ip !== undefined && o.port !== undefined) known.add(`${o.ip}:${o.port}`)
        if (o.restAddress !== undefined) known.add(o.restAddress)
      }
    }
  }
  return [...addresses].filter(a => !known.has(a))
}

function targetOf (o: OperatorEntry, clusterId: string, alternatives: readonly OperatorTarget[],
  attributesOf: ((policyId: string) => Readonly<Record<string, JsonValue>> | undefined) | undefined): OperatorTarget {
  return {
    peerId: o.peerId as string,
    name: o.name,
    clusterId,
    ...(o.ip !== undefined ? { ip: o.ip } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.status !== 'active' && o.lastSeenAt !== undefined ? { lostForMs: Math.max(0, Date.now() - o.lastSeenAt) } : {}),
    attributes: attributesOf?.(o.policyId) ?? { name: o.name, ...(o.company !== undefined ? { company: o.company } : {}) },
    alternatives
  }
}

function isNamed (o: OperatorEntry, addresses: ReadonlySet<string>): boolean {
  return (o.ip !== undefined && o.port !== undefined && addresses.has(`${o.ip}:${o.port}`)) || (o.restAddress !== undefined && addresses.has(o.restAddress))
}

/**
 * The live members whose ingest watermark for `table` covers the range from `from` (absent: from the earliest
 * watermark among them); when none does, those with the earliest watermark. No members when no live member has
 * one. `reason` says which case it was, for explain.
 */
export function watermarkChoice (live: readonly OperatorEntry[], table: string, from: number | undefined): { members: OperatorEntry[], reason: string } {
  const since = (o: OperatorEntry): number | null | undefined => o.ingestSince.get(table)
  const streaming = live.filter(o => typeof since(o) === 'number')
  if (streaming.length === 0) return { members: [], reason: `no live member has an ingest watermark for ${table}` }
  const earliest = Math.min(...streaming.map(o => since(o) as number))
  const longest = (): OperatorEntry[] => streaming.filter(o => since(o) === earliest)
  if (from === undefined) return { members: longest(), reason: `the WHERE sets no lower time bound: the member${plural(longest())} holding ${table} the longest (watermark ${iso(earliest)})` }
  const covering = streaming.filter(o => (since(o) as number) <= from)
  if (covering.length > 0) {
    return { members: covering, reason: `ingest watermark ${covering.map(o => `${o.name} ${iso(since(o) as number)}`).join(', ')} covers the range from ${iso(from)}` }
  }
  return { members: longest(), reason: `fallback: no live member's watermark covers the range from ${iso(from)}; the member${plural(longest())} holding ${table} the longest (watermark ${iso(earliest)})` }
}

function pickOperator (candidates: readonly OperatorEntry[], covering: ReadonlySet<OperatorEntry>, nodes: NodesOption, rotation: Rotation, clusterId: string): { pick: OperatorEntry, rule: string } {
  const live = covering.size > 0 ? candidates.filter(o => covering.has(o)) : candidates.filter(o => o.status === 'active')
  if (nodes === 'main') {
    const main = live.find(o => o.main)
    if (main !== undefined) return { pick: main, rule: 'the main operator' }
  }
  const pool = live.length > 0 ? live : [...candidates].sort((a, b) => Number(b.main) - Number(a.main))
  if (live.length === 0) return { pick: pool[0] as OperatorEntry, rule: 'no member live, so the main one (else the first) is tried' }
  const turn = rotation.get(clusterId) ?? 0
  rotation.set(clusterId, turn + 1)
  return { pick: pool[turn % pool.length] as OperatorEntry, rule: pool.length === 1 ? 'the only one' : `in turn among ${pool.length}` }
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

function plural (members: readonly unknown[]): string {
  return members.length === 1 ? '' : 's'
}
