/** `MetadataNode.get`: visible policies by type with attribute equality filters. */
import type { PolicyFilter } from './api.js'
import type { PolicyRecord, StoredPolicy } from './policy.js'

function matchesFilter (body: PolicyRecord['content'], where: PolicyFilter): boolean {
  return Object.entries(where).every(([k, v]) => {
    const actual = body[k]
    if (Array.isArray(actual) && !Array.isArray(v)) return actual.some(a => a === v || String(a) === String(v))
    return actual === v || (typeof actual !== 'object' && typeof v !== 'object' && String(actual) === String(v))
  })
}

/** Records of the given types (`*` for all) whose bodies match every filter, in the order given. */
export function filterPolicies (records: readonly PolicyRecord[], type: string | readonly string[], where?: PolicyFilter): StoredPolicy[] {
  const types = typeof type === 'string' ? [type] : type
  const all = types.includes('*')
  return records
    .filter(r => all || types.includes(r.type))
    .filter(r => where === undefined || matchesFilter(r.content, where))
    .map(r => r.policy)
}
