/**
 * EdgeLake reads `'YYYY-MM-DD HH:MM:SS'` as the query node's local time (or the `timezone` option's) and converts
 * it to UTC before the query runs; `'...T...Z'` (any value with a T) is UTC as written (reference/edgelake.md §2.2-2.3).
 */
import { FedlakeError } from '@fedlake/core'
import { QUERY_ERRORS } from '../errors.js'

/** EdgeLake's short zone names (utils_columns.py tz_list). */
const ZONE_ALIASES: Readonly<Record<string, string>> = {
  utc: 'UTC', gmt: 'UTC', z: 'UTC',
  pt: 'America/Los_Angeles', mt: 'America/Denver', ct: 'America/Chicago', et: 'America/New_York'
}

/** Resolved zones by name as given ('' for the process's zone): building an Intl.DateTimeFormat costs ~0.5 ms. */
const resolvedZones = new Map<string, string>()

/** An IANA zone name for `utc`, `local`, `pt`, `mt`, `ct`, `et` or a tz-database name; undefined means the process's zone. */
export function resolveTimeZone (name: string | undefined): string {
  const key = name === undefined || name.toLowerCase() === 'local' ? '' : name
  const known = resolvedZones.get(key)
  if (known !== undefined) return known
  let zone: string
  if (key === '') {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone
  } else {
    try {
      zone = new Intl.DateTimeFormat('en-US', { timeZone: ZONE_ALIASES[key.toLowerCase()] ?? key }).resolvedOptions().timeZone
    } catch {
      throw new FedlakeError(QUERY_ERRORS.DATE_EXPRESSION_INVALID, `unknown time zone '${name ?? ''}'`, { timezone: name })
    }
  }
  if (resolvedZones.size < 1000) resolvedZones.set(key, zone)
  return zone
}

export interface EdgeLakeDate {
  /** `YYYY-MM-DD HH:MM:SS[.ffffff]`, in UTC. */
  readonly utc: string
  /** The value had only a date part. */
  readonly dateOnly: boolean
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:([ T])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]00(?::?00)?)?$/i

/** Whether `text` has the shape of an EdgeLake date literal (not checking that the date exists). */
export function looksLikeEdgeLakeDate (text: string): boolean {
  return DATE_TEXT.test(text.trim())
}

/**
 * The UTC timestamp an EdgeLake date literal stands for, or undefined when `text` is not one (or names no real day).
 * Values with a `T` or a `Z` are UTC; others are wall-clock time in `timeZone` (an IANA name).
 */
export function edgeLakeDateToUtc (text: string, timeZone: string): EdgeLakeDate | undefined {
  const m = DATE_TEXT.exec(text.trim())
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[5], m[6], m[7]].map(v => Number(v ?? 0)) as [number, number, number, number, number, number]
  const fraction = (m[8] ?? '').slice(0, 6)
  const wall = Date.UTC(year, month - 1, day, hour, minute, second)
  const check = new Date(wall)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined
  const isUtc = m[4] === 'T' || m[9] !== undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC'
  const utcMs = isUtc ? wall : wallTimeToUtcMs(wall, timeZone)
  const iso = new Date(utcMs).toISOString()
  return { utc: `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`}`, dateOnly: m[5] === undefined }
}

/**
 * Wall-clock milliseconds (as if UTC) in `timeZone` → UTC milliseconds. In a spring-forward gap the later offset
 * wins (02:30 that does not exist reads as 03:30); in a fall-back overlap the first occurrence wins.
 */
export function wallTimeToUtcMs (wallMs: number, timeZone: string): number {
  const first = wallMs - offsetMs(wallMs, timeZone)
  const second = wallMs - offsetMs(first, timeZone)
  if (first === second) return first
  // two candidates: keep the one that maps back to the wall time, the earlier if both do
  const candidates = [first, second].filter(utc => utc + offsetMs(utc, timeZone) === wallMs).sort((a, b) => a - b)
  return candidates[0] ?? Math.max(first, second)
}

const formatters = new Map<string, Intl.DateTimeFormat>()

/** Offset of `timeZone` from UTC at the instant `utcMs`, in milliseconds. */
function offsetMs (utcMs: number, timeZone: string): number {
  let formatter = formatters.get(timeZone)
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    formatters.set(timeZone, formatter)
  }
  const parts: Record<string, number> = {}
  for (const part of formatter.formatToParts(new Date(utcMs))) if (part.type !== 'literal') parts[part.type] = Number(part.value)
  const asUtc = Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day as number, parts.hour as number, parts.minute as number, parts.second as number)
  return asUtc - Math.floor(utcMs / 1000) * 1000
}
