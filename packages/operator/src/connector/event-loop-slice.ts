/**
 * Cooperative time slicing for work driven by socket reads. libuv reads a busy socket up to 32 times
 * per poll and an HTTP/2 session turns every read into 'data' events within the same macrotask: with a
 * 1 MiB flow-control window that is over a thousand KubeArmor events decoded, mapped and buffered before
 * a timer, a REST request or a heartbeat gets a turn. A reader asks `sliceSpent()` after each chunk and,
 * once the current macrotask has used its budget, pauses until setImmediate (timers run in between).
 */

/** Longest stretch of chunk processing in one macrotask (ms). */
export const SLICE_BUDGET_MS = 5

let sliceStart = -1
const endSlice = (): void => { sliceStart = -1 }

/** True when the current macrotask has already spent `budgetMs` on chunks (the first call starts the clock). */
export function sliceSpent (budgetMs = SLICE_BUDGET_MS): boolean {
  const now = performance.now()
  if (sliceStart < 0) {
    sliceStart = now
    setImmediate(endSlice)
    return false
  }
  return now - sliceStart >= budgetMs
}
