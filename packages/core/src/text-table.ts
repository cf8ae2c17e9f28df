import type { JsonValue } from './types.js'

/**
 * Renders rows the way EdgeLake prints `format=table` replies: a header line, a dash underline
 * per column, numbers right-aligned, text left-aligned, columns separated by one space.
 */
export function renderTextTable (columns: readonly string[], rows: readonly (readonly JsonValue[])[], title?: string): string {
  const cells = rows.map(row => columns.map((_c, i) => cellText(row[i] ?? null)))
  const numeric = columns.map((_c, i) => rows.length > 0 && rows.every(r => r[i] === null || r[i] === undefined || typeof r[i] === 'number'))
  // a loop, not Math.max(...cells): a spread of a million rows overflows the stack
  const widths = columns.map((c, i) => cells.reduce((w, r) => Math.max(w, r[i]?.length ?? 0), c.length))
  const pad = (text: string, i: number): string => numeric[i] === true ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0)
  const lines: string[] = []
  if (title !== undefined) lines.push(title)
  lines.push(columns.map((c, i) => pad(c, i)).join(' ').trimEnd())
  lines.push(widths.map(w => '-'.repeat(w)).join(' '))
  for (const row of cells) lines.push(row.map((t, i) => pad(t, i)).join(' ').trimEnd())
  return lines.join('\n') + '\n'
}

function cellText (v: JsonValue): string {
  if (v === null) return ''
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}
