/** `bring` paths: `[Key]`, `[Outer][Inner]` walk nested object keys. */

const BRING = /^\s*((?:\[[^[\]]+\])+)\s*$/

/** Keys of a bring path; throws Error when the text is not a path. */
export function parseBring (text: string): string[] {
  const m = BRING.exec(text)
  if (m === null) throw new Error(`"bring" '${text}' is not a path like [Key] or [Outer][Inner]`)
  const keys = [...(m[1] as string).matchAll(/\[([^[\]]+)\]/g)].map(k => (k[1] as string).trim())
  if (keys.some(k => k === '')) throw new Error(`"bring" '${text}' has an empty key`)
  return keys
}

export type Getter = (record: Readonly<Record<string, unknown>>) => unknown

function child (value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}

/** A getter specialised for short paths (the common case is one key). */
export function compileGetter (keys: readonly string[]): Getter {
  const [a, b] = keys
  if (keys.length === 1 && a !== undefined) return record => record[a]
  if (keys.length === 2 && a !== undefined && b !== undefined) return record => child(record[a], b)
  return record => {
    let value: unknown = record
    for (const key of keys) value = child(value, key)
    return value
  }
}
