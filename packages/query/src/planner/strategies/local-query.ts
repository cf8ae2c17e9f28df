/** A statement that reads no distributed table (`select 1`, `select now()`) runs whole on the query node. */
import type { NetworkPlan } from '../plan.js'

export function planLocalQuery (statement: unknown, dbms: string, outputNames: readonly string[]): NetworkPlan {
  return {
    kind: 'network',
    dbms,
    fragments: [],
    merge: { kind: 'sql', statement },
    outputNames,
    explain: ['query node: the statement reads no distributed table and runs whole on the query node']
  }
}
