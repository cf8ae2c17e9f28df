/**
 * Timestamps and dates as replies print them: 'YYYY-MM-DD HH:MM:SS.ffffff' (EdgeLake's shape, no 'T', no
 * zone suffix) in UTC or in a named time zone, and 'YYYY-MM-DD'.
 */

/** An IANA time zone name ('UTC', 'America/Los_Angeles', ...), already checked by `resolveTimeZone`. */
export type TimeZone = string & { readonly __timeZone?: never }

export const UTC = 'UTC' as TimeZone

const MAX_DATE_MS = 8.64e15
const US_PER_DAY = 86_400_000_000
const US_PER_HOUR = 3_600_000_000
const US_PER_MINUTE = 60_000_000
const SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER)

/** EdgeLake's short names for the US zones (reference/edgelake.md §1.6). */
const ZONE_ALIASES: Readonly<Record<string, string>> = {
  utc: 'UTC', gmt: 'UTC', z: 'UTC',
  pt: 'America/Los_Angeles', mt: 'America/Denver', ct: 'America/Chicago', et: 'America/New_York'
}

/** A time zone name as given in `timezone = ...`; undefined when the name is not one this runtime knows. */
export function resolveTimeZone (name: string): TimeZone | undefined {
  const trimmed = name.trim()
  const lower = trimmed.toLowerCase()
  if (lower === 'local') return (Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC') as TimeZone
  const candidate = ZONE_ALIASES[lower] ?? trimmed
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: candidate }).resolvedOptions().timeZone as TimeZone
  } catch {
    return undefined
  }
}

// Rows of one result mostly share a day: the date part is formatted once per day, the time by arithmetic.
let cachedDay = Number.NaN
let cachedDate = ''

/** Epoch microseconds as 'YYYY-MM-DD HH:MM:SS.ffffff' in `timeZone` (UTC by default). Out-of-range values as DuckDB prints them. */
export function formatTimestampMicros (micros: bigint, timeZone?: TimeZone): string {
  if (micros > SAFE_MICROS || micros < -SAFE_MICROS) return formatTimestampSlow(micros)
  let us = Number(micros)
  if (timeZone !== undefined && timeZone !== UTC) us += offsetMinutes(timeZone, us) * US_PER_MINUTE
  const day = Math.floor(us / US_PER_DAY)
  if (day !== cachedDay) {
    const iso = new Date(day * 86_400_000).toISOString()
    if (iso.length !== 24) return formatTimestampSlow(BigInt(us))
    cachedDay = day
    cachedDate = iso.slice(0, 10)
  }
  let rest = us - day * US_PER_DAY
  const hours = Math.floor(rest / US_PER_HOUR)
  rest -= hours * US_PER_HOUR
  const minutes = Math.floor(rest / US_PER_MINUTE)
  rest -= minutes * US_PER_MINUTE
  const seconds = Math.floor(rest / 1_000_000)
  const fraction = rest - seconds * 1_000_000
  return `${cachedDate} ${two(hours)}:${two(minutes)}:${two(seconds)}.${String(fraction).padStart(6, '0')}`
}

export function formatDateDays (days: number): string {
  const ms = days * 86_400_000
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return days > 0 ? 'infinity' : '-infinity'
  return new Date(ms).toISOString().slice(0, 10)
}

function two (n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function formatTimestampSlow (micros: bigint): string {
  let ms = micros / 1000n
  let us = micros % 1000n
  if (us < 0n) { us += 1000n; ms -= 1n }
  const msNumber = Number(ms)
  if (msNumber > MAX_DATE_MS || msNumber < -MAX_DATE_MS) return micros > 0n ? 'infinity' : '-infinity'
  const iso = new Date(msNumber).toISOString()
  if (iso.length !== 24) return iso // years outside 0000-9999: keep the ISO form rather than a broken slice
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(us).padStart(3, '0')}`
}

// Offsets change at most a few times a year: cached per zone and UTC hour.
const offsetCache = new Map<string, number>()
const formatters = new Map<string, Intl.DateTimeFormat>()

/** The zone's offset from UTC, in minutes, at the instant `utcMicros`. */
function offsetMinutes (timeZone: TimeZone, utcMicros: number): number {
  const hour = Math.floor(utcMicros / US_PER_HOUR)
  const key = `${timeZone}@${hour}`
  const cached = offsetCache.get(key)
  if (cached !== undefined) return cached
  let format = formatters.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(timeZone, format)
  }
  const ms = hour * 3_600_000
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map(p => [p.type, p.value]))
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second))
  const offset = Math.round((local - ms) / 60_000)
  if (offsetCache.size > 10_000) offsetCache.clear()
  offsetCache.set(key, offset)
  return offset
}
