/** Every long-lived thing (servers, stores, connectors) is Startable. */
export interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}

export interface AbortOptions {
  signal?: AbortSignal
}

/** Starts in order; if one fails, stops the ones already started (in reverse) and rethrows. */
export async function startAll (items: readonly Startable[]): Promise<void> {
  const started: Startable[] = []
  try {
    for (const item of items) {
      await item.start()
      started.push(item)
    }
  } catch (err) {
    await stopAll(started)
    throw err
  }
}

/**
 * Starts independent things at once (each loads on its own: a worker thread, a DuckDB instance); if any fails,
 * waits for the others, stops the ones that started and rethrows the first failure.
 */
export async function startTogether (items: readonly Startable[]): Promise<void> {
  const results = await Promise.allSettled(items.map(async item => { await item.start() }))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed === undefined) return
  await stopAll(items.filter((_item, i) => results[i]?.status === 'fulfilled')).catch(() => undefined)
  throw failed.reason
}

/** Stops in reverse order; keeps going when one fails and rethrows the first failure at the end. */
export async function stopAll (items: readonly Startable[]): Promise<void> {
  let first: unknown
  for (const item of [...items].reverse()) {
    try { await item.stop() } catch (err) { first ??= err }
  }
  if (first !== undefined) throw first
}
