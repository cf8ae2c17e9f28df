/**
 * DuckDB would silently open a second, diverging database on a file already open in this process
 * (reference/libraries.md §1.3 pitfall 1). Every storage claims a file before opening it; a storage
 * running in a worker thread claims it from the main thread's set (threaded-storage.ts), so the guard
 * holds across threads.
 */
import { FedlakeError } from '@fedlake/core'
import { STORAGE_ERRORS } from '../errors-storage.js'

export interface PathGuard {
  /** Throws STORAGE_ALREADY_OPEN when `path` is open in this process. */
  claim(path: string): Promise<void>
  release(path: string): void
}

const openPaths = new Set<string>()

export const processPathGuard: PathGuard = {
  async claim (path) {
    if (openPaths.has(path)) {
      throw new FedlakeError(STORAGE_ERRORS.STORAGE_ALREADY_OPEN, `database file ${path} is already open in this process`, { path })
    }
    openPaths.add(path)
  },
  release (path) {
    openPaths.delete(path)
  }
}
