/*
 * A line chart for time-bucketed results (increments(), time_bucket, date_trunc): a timestamp column for x,
 * numeric columns for y, one line per value of the text columns (per `result`, per `pod_name`...). Hand-written
 * SVG; chartSpec and the tick functions are pure and also run under node:test.
 */
import { h, s } from './dom.js'

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/
const NUMERIC_TEXT = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c']

/** Milliseconds since the epoch of a reply's timestamp text (UTC unless it carries an offset), else undefined. */
export function parseTimestamp (value) {
  if (typeof value !== 'string') return undefined
  const m = TIMESTAMP.exec(value)
  if (m === null) return undefined
  const [, y, mo, d, hh = '0', mi = '0', ss = '0', frac = '', zone] = m
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss), frac === '' ? 0 : Math.floor(Number(frac) * 1000))
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000
  }
  return Number.isNaN(ms) ? undefined : ms
}

function numberOf (value) {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return Number(value) // integers beyond 2^53 come as strings
  return undefined
}

/**
 * What to draw, or undefined when the result is not a time series: at least two rows, a column whose values are
 * all timestamps (the first such column is x), at least one column whose values are all numbers.
 * `{ xColumn, yColumns, series: [{ name, color, points: [[ms, y], ...] }], omitted }`; at most maxSeries
 * lines (the largest), `omitted` says how many were left out.
 */
export function chartSpec (columns, rows, { maxSeries = PALETTE.length } = {}) {
  if (rows.length < 2) return undefined
  const all = (c, test) => { let any = false; for (const r of rows) { const v = r[c]; if (v === null) continue; if (!test(v)) return false; any = true } return any }
  const x = columns.findIndex((_, c) => all(c, v => parseTimestamp(v) !== undefined))
  if (x < 0) return undefined
  const isTime = columns.map((_, c) => c !== x && all(c, v => parseTimestamp(v) !== undefined))
  const ys = columns.map((_, c) => c).filter(c => c !== x && !isTime[c] && all(c, v => numberOf(v) !== undefined))
  if (ys.length === 0) return undefined
  const categories = columns.map((_, c) => c).filter(c => c !== x && !isTime[c] && !ys.includes(c))
  const byName = new Map()
  for (const row of rows) {
    const t = parseTimestamp(row[x])
    if (t === undefined) continue
    const category = categories.map(c => (row[c] === null ? 'NULL' : typeof row[c] === 'object' ? JSON.stringify(row[c]) : String(row[c]))).join(' / ')
    for (const y of ys) {
      const value = numberOf(row[y])
      if (value === undefined || !Number.isFinite(value)) continue
      const name = [category, ys.length > 1 || category === '' ? columns[y] : ''].filter(p => p !== '').join(' · ')
      const points = byName.get(name) ?? []
      points.push([t, value])
      byName.set(name, points)
    }
  }
  const ranked = [...byName.entries()]
    .map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]), weight: points.reduce((n, p) => n + Math.abs(p[1]), 0) }))
    .sort((a, b) => b.weight - a.weight)
  if (ranked.length === 0) return undefined
  const kept = ranked.slice(0, maxSeries).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return {
    xColumn: columns[x],
    yColumns: ys.map(c => columns[c]),
    series: kept.map((series, i) => ({ name: series.name, color: PALETTE[i % PALETTE.length], points: series.points })),
    omitted: ranked.length - kept.length
  }
}

/** About `count` round values (1, 2, 5 times a power of ten) covering [min, max]. */
export function niceTicks (min, max, count = 5) {
  if (min === max) { min = min === 0 ? 0 : Math.min(0, min); max = max === 0 ? 1 : Math.max(0, max) }
  const raw = (max - min) / count
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map(f => f * power).find(st => st >= raw) ?? 10 * power
  const ticks = []
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)))
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)))
  return ticks
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const TIME_STEPS = [SECOND, 5 * SECOND, 15 * SECOND, 30 * SECOND, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY]

/** Tick times (UTC, on multiples of a round step) inside [min, max], and the step. */
export function timeTicks (min, max, count = 6) {
  const span = Math.max(max - min, SECOND)
  const step = TIME_STEPS.find(st => span / st <= count) ?? TIME_STEPS[TIME_STEPS.length - 1]
  const ticks = []
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t)
  return { ticks, step }
}

/** A tick label, UTC, as precise as the step needs. */
export function formatTime (ms, step) {
  const iso = new Date(ms).toISOString() // 2026-03-02T10:15:30.000Z
  if (step >= 28 * DAY) return iso.slice(0, 7)
  if (step >= DAY) return iso.slice(0, 10)
  if (step >= MINUTE) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`
  return iso.slice(11, 19)
}

function formatNumber (value) {
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`
  return String(Number(value.toPrecision(6)))
}

/** Draws the chart into `container` (replacing what it held). */
export function renderChart (container, spec, { width = 900, height = 280 } = {}) {
  const margin = { left: 56, right: 16, top: 12, bottom: 30 }
  const times = spec.series.flatMap(se => se.points.map(p => p[0]))
  const values = spec.series.flatMap(se => se.points.map(p => p[1]))
  const tMin = Math.min(...times)
  const tMax = Math.max(...times)
  const yTicks = niceTicks(Math.min(0, ...values), Math.max(...values))
  const yMin = yTicks[0]
  const yMax = yTicks[yTicks.length - 1]
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const px = t => margin.left + (tMax === tMin ? plotW / 2 : ((t - tMin) / (tMax - tMin)) * plotW)
  const py = v => margin.top + plotH - ((v - yMin) / (yMax - yMin)) * plotH
  const { ticks, step } = timeTicks(tMin, tMax)
  const pointCount = values.length
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${spec.yColumns.join(', ')} by ${spec.xColumn}` },
    s('g', { class: 'grid' }, yTicks.map(v => s('line', { x1: margin.left, x2: width - margin.right, y1: py(v), y2: py(v) }))),
    s('g', { class: 'axis y' }, yTicks.map(v => s('text', { x: margin.left - 6, y: py(v) + 4, 'text-anchor': 'end', text: formatNumber(v) }))),
    s('g', { class: 'axis x' },
      s('line', { x1: margin.left, x2: width - margin.right, y1: margin.top + plotH, y2: margin.top + plotH }),
      ticks.map(t => s('g', {},
        s('line', { x1: px(t), x2: px(t), y1: margin.top + plotH, y2: margin.top + plotH + 4 }),
        s('text', { x: px(t), y: height - 10, 'text-anchor': 'middle', text: formatTime(t, step) })))),
    spec.series.map(se => s('g', { class: 'series-group' },
      s('path', { class: 'series', stroke: se.color, d: se.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ') }),
      // points with a tooltip while there are few enough to hover
      pointCount <= 600 && se.points.map(p => s('circle', { class: 'point', cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 2.5, fill: se.color },
        s('title', { text: `${se.name}\n${new Date(p[0]).toISOString().replace('T', ' ').replace('Z', ' UTC')}: ${p[1]}` }))))))
  const legend = h('ul', { class: 'legend' }, spec.series.map(se => {
    const swatch = h('span', { class: 'swatch' })
    swatch.style.backgroundColor = se.color // CSSOM, which the page's style-src allows (a style attribute it would not)
    return h('li', {}, swatch, se.name)
  }), spec.omitted > 0 && h('li', { class: 'muted', text: `${spec.omitted} smaller series not drawn` }))
  const caption = h('p', { class: 'chart-caption', text: `${spec.yColumns.join(', ')} by ${spec.xColumn} (UTC)` })
  container.replaceChildren(caption, svg, legend)
}
