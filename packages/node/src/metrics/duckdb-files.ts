/** Sizes of an operator's DuckDB files, read from its data directory when asked (a few stat calls). */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export type DuckDbFileKind = 'database' | 'wal' | 'temp'

export interface DuckDbFileSize {
  readonly dbms: string
  readonly file: DuckDbFileKind
  readonly bytes: number
}

const FILE = /^([a-z0-9_]{1,63})\.duckdb(\.wal|\.tmp)?$/

/** `<dbms>.duckdb`, its write-ahead log `<dbms>.duckdb.wal` and its spill directory `<dbms>.duckdb.tmp` (files summed). */
export async function duckDbFileSizes (dir: string): Promise<DuckDbFileSize[]> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch {
    return [] // no database written yet
  }
  const sizes: DuckDbFileSize[] = []
  for (const entry of entries.sort()) {
    const m = FILE.exec(entry)
    if (m === null) continue
    const dbms = m[1] as string
    const file: DuckDbFileKind = m[2] === '.wal' ? 'wal' : m[2] === '.tmp' ? 'temp' : 'database'
    const bytes = file === 'temp' ? await directoryBytes(join(dir, entry)) : await fileBytes(join(dir, entry))
    if (bytes !== undefined) sizes.push({ dbms, file, bytes })
  }
  return sizes
}

async function fileBytes (path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size
  } catch {
    return undefined // removed between readdir and stat (a WAL after a checkpoint)
  }
}

async function directoryBytes (path: string): Promise<number | undefined> {
  let names: string[]
  try { names = await readdir(path) } catch { return undefined }
  let total = 0
  for (const name of names) total += await fileBytes(join(path, name)) ?? 0
  return total
}
