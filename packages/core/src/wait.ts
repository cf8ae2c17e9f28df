export interface WaitForOptions {
  /** @default 10000 */
  timeoutMs?: number
  /** @default 25 */
  intervalMs?: number
  /** Text for the timeout error. */
  what?: string
}

/** Polls a condition until it returns a truthy value; for tests and startup checks, never instead of an event. */
export async function waitFor<T> (condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  let lastError: unknown
  for (;;) {
    try {
      const value = await condition()
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${suffix}`)
    }
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 25))
  }
}

export function delay (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) { reject(signal.reason); return }
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The work's result, or the signal's reason as soon as it aborts (the work is then left to settle unobserved).
 * The abort listener lives only as long as the call: a Promise.race against one long-lived "aborted" promise
 * would instead add a reaction to it on every call, keeping each call's result (a whole batch) alive.
 */
export async function abortable<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined)
  if (signal.aborted) throw signal.reason
  let onAbort: () => void = () => {}
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
