/**
 * Which databases PUT may not write, and why: the one a connector feeds (unless the node's config allows it),
 * so a client cannot add fake KubeArmor events or columns to its tables, and any listed in the config.
 */
export interface PutReadOnlyInit {
  /** The dbms the KubeArmor connector writes, when the node has KubeArmor sources. */
  readonly connectorDbms?: string
  /** ingest.allowPutIntoConnectorDbms */
  readonly allowPutIntoConnectorDbms: boolean
  /** ingest.putReadOnlyDbms */
  readonly putReadOnlyDbms: readonly string[]
}

/** dbms → the reason PUT is refused, as told to the client. */
export function putReadOnlyDbms (init: PutReadOnlyInit): ReadonlyMap<string, string> {
  const readOnly = new Map<string, string>()
  for (const dbms of init.putReadOnlyDbms) readOnly.set(dbms.toLowerCase(), 'it is read-only for PUT on this node (ingest.putReadOnlyDbms)')
  const connector = init.connectorDbms?.toLowerCase()
  if (connector !== undefined && !init.allowPutIntoConnectorDbms && !readOnly.has(connector)) {
    readOnly.set(connector, 'the KubeArmor connector feeds it (ingest.allowPutIntoConnectorDbms allows PUT into it)')
  }
  return readOnly
}
