/**
 * A small seeded PRNG (mulberry32) with the helpers the generator needs. Same seed, same sequence,
 * on every platform: simulators and tests can reproduce a run exactly.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** Integer in [min, max] (both inclusive). */
  between(min: number, max: number): number
  chance(probability: number): boolean
  pick<T>(items: readonly T[]): T
  /** `length` lowercase hex digits. */
  hex(length: number): string
  /** `length` characters from `alphabet`. */
  chars(alphabet: string, length: number): string
}

export type Seed = number | string

function hashSeed (seed: Seed): number {
  const text = String(seed)
  let h = 2166136261 >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619) >>> 0
  }
  return h
}

const HEX = '0123456789abcdef'

export function createRng (seed: Seed): Rng {
  let state = hashSeed(seed)
  const next = (): number => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive)
  const chars = (alphabet: string, length: number): string => {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)]
    return out
  }
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: probability => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[int(items.length)] as T
    },
    hex: length => chars(HEX, length),
    chars
  }
}

/** Picks among weighted choices in O(log n); weights need not sum to 1. */
export type WeightedPicker<T> = (rng: Rng) => T

export function weighted<T> (entries: ReadonlyArray<readonly [T, number]>): WeightedPicker<T> {
  const items: T[] = []
  const cumulative: number[] = []
  let total = 0
  for (const [item, weight] of entries) {
    if (!(weight > 0)) continue
    total += weight
    items.push(item)
    cumulative.push(total)
  }
  if (items.length === 0) throw new RangeError('weighted choice needs at least one positive weight')
  return rng => {
    const x = rng.next() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((cumulative[mid] as number) > x) hi = mid
      else lo = mid + 1
    }
    return items[lo] as T
  }
}
