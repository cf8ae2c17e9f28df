/**
 * prom-client metrics whose values are read from the node's live objects when Prometheus scrapes, instead of
 * being counted on the hot paths: each counter and gauge is reset and refilled from a reader on every scrape,
 * and a histogram is written from cumulative bucket counts that its owner keeps.
 */
import { Counter, Gauge, Histogram } from 'prom-client'
import type { MetricType, MetricValueWithName, Registry } from 'prom-client'

export type LabelSet<L extends string> = Partial<Record<L, string | number>>
/** The current values, one per label set (`[{}, v]` for a metric without labels). */
export type Sample<L extends string> = readonly [LabelSet<L>, number]

interface LiveMetricInit<L extends string> {
  readonly registry: Registry
  readonly name: string
  readonly help: string
  readonly labelNames?: readonly L[]
  readonly read: () => Iterable<Sample<L>> | Promise<Iterable<Sample<L>>>
}

/** A counter whose totals come from a live object (the totals must only grow, except when the node restarts). */
export function liveCounter<L extends string> (init: LiveMetricInit<L>): void {
  const counter: Counter<L> = new Counter<L>({ ...promInit(init), collect: refill(init, () => { counter.reset() }, (labels, value) => { counter.inc(labels, value) }) })
}

export function liveGauge<L extends string> (init: LiveMetricInit<L>): void {
  const gauge: Gauge<L> = new Gauge<L>({ ...promInit(init), collect: refill(init, () => { gauge.reset() }, (labels, value) => { gauge.set(labels, value) }) })
}

function promInit<L extends string> (init: LiveMetricInit<L>): { name: string, help: string, labelNames: readonly L[], registers: Registry[] } {
  return { name: init.name, help: init.help, labelNames: init.labelNames ?? [], registers: [init.registry] }
}

/** A collect function: reads the samples, then resets and refills in one turn of the event loop, so a concurrent scrape never sees half of it. */
function refill<L extends string> (init: LiveMetricInit<L>, reset: () => void, put: (labels: LabelSet<L>, value: number) => void): () => Promise<void> {
  return async () => {
    const samples = [...await init.read()]
    reset()
    for (const [labels, value] of samples) put(labels, value)
  }
}

/** Cumulative histogram data: counts per bucket (not cumulative; the last one is over every bound), and the sum. */
export interface HistogramTotals {
  readonly bucketCounts: readonly number[]
  readonly sum: number
}

/**
 * A histogram kept elsewhere (bounds and counts), exposed as a Prometheus histogram. prom-client's Histogram
 * only learns values one observe() at a time, so what it reports is replaced by the kept counts: get() for
 * registry.getMetricsAsJSON(), and getForPromString(), which registry.metrics() prefers when a metric has it
 * (prom-client 15 does not declare it in its types, so it is a plain method here).
 */
class KeptHistogram extends Histogram<string> {
  constructor (
    private readonly metricName: string,
    private readonly helpText: string,
    registry: Registry,
    private readonly bounds: readonly number[],
    private readonly read: () => HistogramTotals | undefined
  ) {
    super({ name: metricName, help: helpText, buckets: [...bounds], registers: [registry] })
  }

  override async get (): ReturnType<Histogram<string>['get']> {
    return await this.kept()
  }

  async getForPromString (): ReturnType<Histogram<string>['get']> {
    return await this.kept()
  }

  // not super.get(): prom-client's get() calls getForPromString(), which is this class's
  private async kept (): ReturnType<Histogram<string>['get']> {
    // prom-client's types declare MetricType a numeric enum (and no runtime export); the registry prints the string
    const type = 'histogram' as unknown as MetricType
    const base = { name: this.metricName, help: this.helpText, type, aggregator: 'sum' as const, collect: () => {} }
    const totals = this.read()
    if (totals === undefined) return { ...base, values: [] }
    const values: Array<MetricValueWithName<string>> = []
    let cumulative = 0
    this.bounds.forEach((bound, i) => {
      cumulative += totals.bucketCounts[i] ?? 0
      values.push({ metricName: `${this.metricName}_bucket`, labels: { le: bound }, value: cumulative })
    })
    cumulative += totals.bucketCounts[this.bounds.length] ?? 0
    values.push({ metricName: `${this.metricName}_bucket`, labels: { le: '+Inf' }, value: cumulative })
    values.push({ metricName: `${this.metricName}_sum`, labels: {}, value: totals.sum })
    values.push({ metricName: `${this.metricName}_count`, labels: {}, value: cumulative })
    return { ...base, values }
  }
}

export function keptHistogram (init: { registry: Registry, name: string, help: string, bounds: readonly number[], read: () => HistogramTotals | undefined }): void {
  void new KeptHistogram(init.name, init.help, init.registry, init.bounds, init.read)
}
