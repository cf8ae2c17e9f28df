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

/** Stops in reverse order; keeps going when one fails and rethrows the first failure at the end. */
export async function stopAll (items: readonly Startable[]): Promise<void> {
  let first: unknown
  for (const item of [...items].reverse()) {
    try { await item.stop() } catch (err) { first ??= err }
  }
  if (first !== undefined) throw first
}
