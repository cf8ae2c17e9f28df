/** The names (lower case) of the common table expressions a node of DuckDB's parse tree declares in its `cte_map`. */
export function cteNamesOf (node: Record<string, unknown>): string[] {
  const map = (node.cte_map as { map?: unknown } | undefined)?.map
  if (!Array.isArray(map)) return []
  const names: string[] = []
  for (const entry of map) {
    const key = (entry as { key?: unknown } | null)?.key
    if (typeof key === 'string') names.push(key.toLowerCase())
  }
  return names
}
