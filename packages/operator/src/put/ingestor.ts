/**
 * REST PUT ingestion without HTTP (the node's fastify route calls `ingest`): check the dbms may be written,
 * parse the body, fit it to the table (inferring the schema of a new table from the whole batch, coercing to an
 * existing table's types, adding columns for new keys), then write it in one transaction, together with the
 * CREATE TABLE or ADD COLUMN it needs. `ingest` resolves only after the rows are committed, so an HTTP 200 means
 * they are queryable; a refused PUT changes nothing (no rows, no new table, no new column).
 *
 * `mode` (EdgeLake's streaming|file) is accepted for compatibility; both commit before replying.
 */
import { createHash } from 'node:crypto'
import type { ColumnSchema, Logger, TableCreatedListener, TableSchema } from '@fedlake/core'
import { FedlakeError, isFedlakeError, silentLogger } from '@fedlake/core'
import { PUT_ERRORS, STORAGE_ERRORS } from '../errors-storage.js'
import { assertDbmsName } from '../storage/identifiers.js'
import { KeyedQueue } from '../storage/keyed-queue.js'
import type { OperatorStorage, StorageValue } from '../storage/types.js'
import { coerceValue, misfitReason } from './coerce.js'
import { inferSchema, normaliseTableName, rowColumns } from './infer-schema.js'
import { parsePutBody } from './parse-body.js'
import { jsonTextOf } from './put-value.js'
import type { PutRow, PutValue } from './put-value.js'

export type PutMode = 'streaming' | 'file'

export interface PutRequest {
  readonly dbms: string
  readonly table: string
  readonly body: string | Buffer | Uint8Array
  /** @default 'file' (EdgeLake's default); both modes commit before resolving. */
  readonly mode?: PutMode
}

export interface PutResult {
  /** Rows committed. */
  readonly rows: number
  /** The table was created by this request. */
  readonly created: boolean
  /** MD5 of the body bytes, hex (EdgeLake's "AnyLog.hash"). */
  readonly hash: string
}

export interface PutIngestorInit {
  readonly storage: OperatorStorage
  readonly logger?: Logger
  /** Called once when a PUT creates a table, after the commit (the metadata layer announces it). A failure is logged, not returned. */
  readonly onTableCreated?: TableCreatedListener
  /** Databases PUT may not write, each with the reason given to the client (see read-only.ts). */
  readonly readOnlyDbms?: ReadonlyMap<string, string>
}

export interface PutIngestor {
  ingest(request: PutRequest): Promise<PutResult>
}

export function createPutIngestor (init: PutIngestorInit): PutIngestor {
  const log = (init.logger ?? silentLogger).child('put')
  // Requests for one table are fitted and written one at a time, so two first batches cannot infer
  // different types for the same new column.
  const perTable = new KeyedQueue()

  return {
    async ingest (request: PutRequest): Promise<PutResult> {
      const dbms = normaliseTableName('dbms', request.dbms)
      assertDbmsName(dbms)
      const readOnly = init.readOnlyDbms?.get(dbms)
      if (readOnly !== undefined) {
        throw new FedlakeError(PUT_ERRORS.PUT_READ_ONLY_DBMS, `dbms '${dbms}' does not accept PUT: ${readOnly}`, { dbms })
      }
      const table = normaliseTableName('table', request.table)
      const mode = request.mode ?? 'file'
      const rows = parsePutBody(request.body)
      const hash = createHash('md5').update(request.body).digest('hex')
      const created = await perTable.run(`${dbms}.${table}`, async () => {
        try {
          return await writeRows(init.storage, dbms, table, rows)
        } catch (err) {
          // The table changed under us (e.g. created by the KubeArmor connector meanwhile): fit once more.
          if (isFedlakeError(err, STORAGE_ERRORS.STORAGE_SCHEMA_MISMATCH)) return await writeRows(init.storage, dbms, table, rows)
          throw err
        }
      })
      if (created !== undefined) {
        log.info('table created by PUT', { dbms, table, columns: created.columns.length })
        try {
          await init.onTableCreated?.(created)
        } catch (err) {
          log.warn('onTableCreated failed', { dbms, table, error: err })
        }
      }
      log.debug('rows ingested', { dbms, table, rows: rows.length, mode })
      return { rows: rows.length, created: created !== undefined, hash }
    }
  }
}

/**
 * Fits and writes; returns the schema when this call created the table. A batch that needs no DDL is a plain
 * append (group-committed with others); one that creates the table or adds columns writes them with its rows.
 */
async function writeRows (storage: OperatorStorage, dbms: string, table: string, rows: readonly PutRow[]): Promise<TableSchema | undefined> {
  const existing = await storage.tableSchema(dbms, table)
  const inferred = inferSchema(dbms, table, rows)
  const have = new Map((existing?.columns ?? []).map(c => [c.name.toLowerCase(), c]))
  const columns: ColumnSchema[] = inferred.columns.map(c => have.get(c.name) ?? c)
  const added = columns.filter(c => !have.has(c.name.toLowerCase()))
  const schema: TableSchema = { dbms, table: existing?.table ?? table, columns }
  const values = fitRows(rows, columns)
  if (existing !== undefined && added.length === 0) {
    await storage.appendRows(schema, values)
    return undefined
  }
  return await storage.ensureTableAndAppendRows(schema, values) ? schema : undefined
}

/** Rows as value arrays aligned with `columns`; refuses the whole batch on the first value that does not fit. */
function fitRows (rows: readonly PutRow[], columns: readonly ColumnSchema[]): StorageValue[][] {
  const position = new Map(columns.map((c, i) => [c.name.toLowerCase(), i]))
  const { keysOf } = rowColumns(rows)
  return rows.map((row, r) => {
    const values: StorageValue[] = new Array<StorageValue>(columns.length).fill(null)
    for (const [key, name] of keysOf(row, r)) {
      const i = position.get(name) as number
      const column = columns[i] as ColumnSchema
      const raw = row[key] as PutValue
      const value = coerceValue(raw, column.type)
      if (value === undefined) {
        const shown = jsonTextOf(raw)
        throw new FedlakeError(PUT_ERRORS.PUT_TYPE_MISMATCH,
          `row ${r}, column ${column.name}: ${shown.length > 60 ? shown.slice(0, 57) + '...' : shown} ${misfitReason(raw, column.type)}`,
          { row: r, column: column.name, type: column.type })
      }
      values[i] = value
    }
    return values
  })
}
