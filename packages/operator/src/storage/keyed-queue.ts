/** Runs tasks one at a time per key (in call order); different keys run concurrently. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T> (key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task, task)
    const tail = result.then(() => undefined, () => undefined)
    this.tails.set(key, tail)
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key) })
    return result
  }

  /** Resolves when every task queued so far has settled. */
  async drain (): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()])
  }
}
