/**
 * A counting semaphore for work that must not run more than `size` at once (queries on a node). Waiting is
 * first come, first served and gives up when the caller's signal aborts, with the signal's reason.
 */
export interface Slots {
  /** Resolves with a release function once a slot is free. Release is idempotent. */
  acquire(signal?: AbortSignal): Promise<() => void>
  readonly size: number
  /** Slots held now. */
  active(): number
  /** Callers waiting for a slot. */
  waiting(): number
}

export function createSlots (size: number): Slots {
  let held = 0
  const queue: { grant: (release: () => void) => void }[] = []

  const releaser = (): (() => void) => {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = queue.shift()
      if (next === undefined) held--
      else next.grant(releaser())
    }
  }

  return {
    size,
    active: () => held,
    waiting: () => queue.length,
    async acquire (signal) {
      signal?.throwIfAborted()
      if (held < size) { held++; return releaser() }
      return await new Promise<() => void>((resolve, reject) => {
        const entry = {
          grant: (release: () => void) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(release)
          }
        }
        const onAbort = (): void => {
          const at = queue.indexOf(entry)
          if (at >= 0) queue.splice(at, 1)
          reject(signal?.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        queue.push(entry)
      })
    }
  }
}
