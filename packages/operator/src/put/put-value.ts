/**
 * A value of a parsed PUT body: JSON, except that integers beyond 2^53 are bigints (exact-numbers.ts).
 */
export type PutValue = string | number | bigint | boolean | null | PutValue[] | { [key: string]: PutValue }

export type PutRow = Record<string, PutValue>

/**
 * JSON text of a value (objects and arrays stored in a VARCHAR column). Bigints are written as their digits;
 * JSON.stringify throws on them, and only then is the slower exact writer used.
 */
export function jsonTextOf (value: PutValue): string {
  try {
    return JSON.stringify(value)
  } catch {
    return exactJsonText(value)
  }
}

function exactJsonText (value: PutValue): string {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(exactJsonText).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${exactJsonText(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
