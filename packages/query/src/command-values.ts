/**
 * Values shared by the `run client (...)` targets and the `sql` command options: booleans and timeouts,
 * refused with COMMAND_SYNTAX ('Error Command Structure', EdgeLake err_code 2) when malformed.
 */
import { CORE_ERRORS, FedlakeError } from '@fedlake/core'

export function commandSyntax (command: string, message: string): FedlakeError {
  return new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: ${message}`, { command })
}

/** `true` / `false`, any case. */
export function parseBooleanValue (command: string, key: string, value: string): boolean {
  const text = value.trim().toLowerCase()
  if (text === 'true') return true
  if (text === 'false') return false
  throw commandSyntax(command, `${key} must be true or false, not '${value}'`)
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000
}

/** Words that may follow a timeout number as its unit (`timeout = 2 minutes`). */
export function isTimeoutUnit (word: string): boolean {
  return Object.hasOwn(TIMEOUT_UNIT_MS, word.toLowerCase())
}

/** `30` (seconds, EdgeLake's form), `1.5`, `2 minutes`, `500ms`, `2m`: milliseconds, positive. */
export function parseTimeoutMs (command: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = (m?.[2] ?? '').toLowerCase()
  if (m === null || (unit !== '' && !isTimeoutUnit(unit))) {
    throw commandSyntax(command, `timeout must be a number of seconds or '<n> <unit>' (ms, seconds, minutes, hours), not '${value.trim()}'`)
  }
  const ms = Math.round(Number(m[1]) * (unit === '' ? 1000 : TIMEOUT_UNIT_MS[unit] as number))
  if (!(ms > 0)) throw commandSyntax(command, `timeout must be positive, not '${value.trim()}'`)
  return ms
}
