/**
 * Timestamps in PUT bodies: ISO-8601 (`2025-01-02T03:04:05.123456Z`, with an offset, or none) and EdgeLake's
 * `YYYY-MM-DD HH:MM:SS[.ffffff]`, or a bare date. A time without an offset is taken as UTC. Fractions beyond
 * microseconds are truncated.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/

/** Epoch microseconds, or undefined when `text` is not such a timestamp (including impossible dates). */
export function parseTimestampMicros (text: string): number | undefined {
  if (text.length < 10 || text.length > 40) return undefined
  const m = TIMESTAMP.exec(text)
  if (m === null) return undefined
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)]
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined // e.g. 2025-02-30
  const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0').slice(0, 6))
  return (date.getTime() - offsetMinutes(m[8]) * 60_000) * 1000 + fraction
}

export function isTimestampText (text: string): boolean {
  return parseTimestampMicros(text) !== undefined
}

function offsetMinutes (zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'))
}
