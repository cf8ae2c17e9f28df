/**
 * Repair of what gossip missed, triggered by liveness: when a direct peer keeps reporting the same
 * version that differs from ours while ours does not change either, both sides are quiet yet apart,
 * and one exchange (one at a time on this node) fixes it. Moving versions mean gossip is still
 * delivering; no action.
 */
export interface VersionRepairInit {
  readonly heartbeatIntervalMs: number
  /** This node's metadata version. */
  readonly version: () => string
  /** Runs one anti-entropy exchange with the peer. */
  readonly repair: (peerId: string) => Promise<void>
}

export interface VersionRepair {
  /** A direct peer reported its version. */
  checkVersion(peerId: string, theirs: string): void
}

export function createVersionRepair (init: VersionRepairInit): VersionRepair {
  const mismatches = new Map<string, { theirs: string, mine: string, since: number }>()
  let repairInFlight = false

  const checkVersion = (peerId: string, theirs: string): void => {
    const mine = init.version()
    if (theirs === mine) { mismatches.delete(peerId); return }
    const now = Date.now()
    const seen = mismatches.get(peerId)
    if (seen === undefined || seen.theirs !== theirs || seen.mine !== mine) {
      mismatches.set(peerId, { theirs, mine, since: now })
      return
    }
    if (now - seen.since < 2 * init.heartbeatIntervalMs || repairInFlight) return
    mismatches.delete(peerId)
    repairInFlight = true
    void init.repair(peerId).catch(() => undefined).finally(() => { repairInFlight = false })
  }

  return { checkVersion }
}
