/**
 * The local replica of the policy set. It is a grow-only set of signed records (policies and
 * tombstones) with one variant kept per id (see isNewerVariant), so any two nodes that have seen
 * the same records hold the same state and report the same version, whatever the arrival order.
 * Visibility is derived: a policy is hidden when a tombstone by its author (or an admin) dated at
 * or after it exists.
 */
import { FedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import { sha256Hex } from './canonical.js'
import { METADATA_ERRORS } from './errors.js'
import { readFileIfExists, writeFileAtomic } from './persistence.js'
import { TOMBSTONE_TYPE, isNewerVariant, verifyPolicy } from './policy.js'
import type { PolicyRecord, StoredPolicy } from './policy.js'

export type PolicyChangeKind = 'added' | 'updated' | 'deleted'

export interface PolicyChange {
  readonly kind: PolicyChangeKind
  readonly policy: StoredPolicy
  readonly id: string
  readonly type: string
}

export type AddResult = 'added' | 'replaced' | 'duplicate' | 'stale'

export interface PolicyStoreInit {
  /** JSON file the store persists to; none keeps it in memory. */
  readonly file?: string
  /** Peer ids allowed to delete any policy. */
  readonly admins: readonly string[]
  readonly logger: Logger
  /** Coalesces bursts of changes into one write. @default 50 */
  readonly persistDelayMs?: number
}

const FILE_FORMAT = 'fedlake-policies/1'

export class PolicyStore {
  private readonly byId = new Map<string, PolicyRecord>()
  private readonly keys = new Set<string>()
  private readonly tombstoneIdsByTarget = new Map<string, Set<string>>()
  private readonly admins: ReadonlySet<string>
  private readonly listeners = new Set<(change: PolicyChange) => void>()
  private cachedVersion: string | undefined
  private cachedVisible: PolicyRecord[] | undefined
  private persistTimer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private dirty = false
  private changes = 0

  constructor (private readonly init: PolicyStoreInit) {
    this.admins = new Set(init.admins)
  }

  /** Loads the persisted records, verifying each; returns how many were loaded. */
  async load (): Promise<number> {
    if (this.init.file === undefined) return 0
    const raw = await readFileIfExists(this.init.file)
    if (raw === undefined) return 0
    let parsed: { format?: unknown, policies?: unknown }
    try {
      parsed = JSON.parse(raw.toString('utf8')) as typeof parsed
    } catch (err) {
      this.init.logger.error('policy store file is not JSON; starting empty', { file: this.init.file, err })
      return 0
    }
    if (parsed.format !== FILE_FORMAT || !Array.isArray(parsed.policies)) {
      this.init.logger.error('policy store file has an unknown format; starting empty', { file: this.init.file })
      return 0
    }
    let loaded = 0
    for (const p of parsed.policies) {
      try {
        this.add(await verifyPolicy(p), false)
        loaded++
      } catch (err) {
        this.init.logger.warn('dropping an invalid policy from the store file', { err })
      }
    }
    this.dirty = false
    return loaded
  }

  onChange (listener: (change: PolicyChange) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Merges a verified record. Emits changes of visible policies. */
  add (record: PolicyRecord, persist = true): AddResult {
    const existing = this.byId.get(record.id)
    if (existing !== undefined) {
      if (existing.key === record.key) return 'duplicate'
      if (!isNewerVariant(record, existing)) return 'stale'
    }
    const affected = record.type === TOMBSTONE_TYPE ? record.content.target as string : record.id
    const before = this.visibleRecord(affected)
    if (existing !== undefined) this.keys.delete(existing.key)
    this.byId.set(record.id, record)
    this.keys.add(record.key)
    if (record.type === TOMBSTONE_TYPE) {
      let set = this.tombstoneIdsByTarget.get(affected)
      if (set === undefined) { set = new Set(); this.tombstoneIdsByTarget.set(affected, set) }
      set.add(record.id)
    }
    this.cachedVersion = undefined
    this.cachedVisible = undefined
    this.changes++
    const after = this.visibleRecord(affected)
    if (after !== undefined && before === undefined) this.emit('added', after)
    else if (after !== undefined && before !== undefined && after.key !== before.key) this.emit('updated', after)
    else if (after === undefined && before !== undefined) this.emit('deleted', before)
    if (persist) this.schedulePersist()
    return existing === undefined ? 'added' : 'replaced'
  }

  private emit (kind: PolicyChangeKind, record: PolicyRecord): void {
    const change: PolicyChange = { kind, policy: record.policy, id: record.id, type: record.type }
    for (const listener of this.listeners) {
      try { listener(change) } catch (err) { this.init.logger.error('policy change listener failed', { err }) }
    }
  }

  /** The record for id if it is a policy (not a tombstone) and not deleted. */
  private visibleRecord (id: string): PolicyRecord | undefined {
    const record = this.byId.get(id)
    if (record === undefined || record.type === TOMBSTONE_TYPE) return undefined
    return this.isDeleted(record) ? undefined : record
  }

  private isDeleted (record: PolicyRecord): boolean {
    const tombstones = this.tombstoneIdsByTarget.get(record.id)
    if (tombstones === undefined) return false
    const at = Date.parse(record.date)
    for (const tid of tombstones) {
      const t = this.byId.get(tid)
      if (t === undefined) continue
      if ((t.author === record.author || this.admins.has(t.author)) && Date.parse(t.date) >= at) return true
    }
    return false
  }

  /** Bumps on every merged record; lets derived views (the catalog) cache. */
  generation (): number {
    return this.changes
  }

  /** Visible policy by id. */
  get (id: string): PolicyRecord | undefined {
    return this.visibleRecord(id)
  }

  /** Any record (policy variant or tombstone) by id, visible or not. */
  getRecord (id: string): PolicyRecord | undefined {
    return this.byId.get(id)
  }

  /** Visible policies, oldest first (ledger order). */
  visible (): readonly PolicyRecord[] {
    if (this.cachedVisible === undefined) {
      this.cachedVisible = [...this.byId.values()]
        .filter(r => r.type !== TOMBSTONE_TYPE && !this.isDeleted(r))
        .sort((a, b) => (Date.parse(a.date) - Date.parse(b.date)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    }
    return this.cachedVisible
  }

  /** Keys of every record held (the anti-entropy digest). */
  recordKeys (): string[] {
    return [...this.keys]
  }

  hasKey (key: string): boolean {
    return this.keys.has(key)
  }

  recordsByKeys (keys: Iterable<string>): PolicyRecord[] {
    const wanted = new Set(keys)
    return [...this.byId.values()].filter(r => wanted.has(r.key))
  }

  get recordCount (): number {
    return this.byId.size
  }

  /** Digest of the record set: equal on nodes that hold the same records. 32 hex chars, like EdgeLake's. */
  version (): string {
    this.cachedVersion ??= sha256Hex([...this.keys].sort().join('\n')).slice(0, 32)
    return this.cachedVersion
  }

  /** Whether peerId may delete record (its author or an admin). */
  mayDelete (record: PolicyRecord, peerId: string): boolean {
    return record.author === peerId || this.admins.has(peerId)
  }

  requireVisible (id: string): PolicyRecord {
    const record = this.visibleRecord(id)
    if (record === undefined) throw new FedlakeError(METADATA_ERRORS.METADATA_POLICY_NOT_FOUND, `no policy with id ${id}`, { id })
    return record
  }

  private schedulePersist (): void {
    if (this.init.file === undefined) return
    this.dirty = true
    if (this.persistTimer !== undefined) return
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined
      void this.flush().catch(err => { this.init.logger.error('cannot persist the policy store', { err }) })
    }, this.init.persistDelayMs ?? 50)
  }

  /** Writes pending changes now. */
  async flush (): Promise<void> {
    if (this.persistTimer !== undefined) { clearTimeout(this.persistTimer); this.persistTimer = undefined }
    const file = this.init.file
    if (file === undefined || !this.dirty) { await this.writing; return }
    this.dirty = false
    const policies = [...this.byId.values()].map(r => r.policy)
    const text = JSON.stringify({ format: FILE_FORMAT, policies })
    this.writing = this.writing.catch(() => undefined).then(async () => { await writeFileAtomic(file, text) })
    await this.writing
  }
}
