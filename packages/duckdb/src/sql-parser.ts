/**
 * DuckDB's own parser as a service: `parse` gives the parse tree json_serialize_sql prints (only SELECT
 * statements serialise; anything else comes back as an error), `print` turns a tree back into SQL with
 * json_deserialize_sql. Nothing is ever executed: the instance is in memory, locked down, and holds no table.
 *
 * Calls run one at a time on one connection (DuckDB's parser is fast, ~1 ms; queueing keeps a burst from
 * taking every libuv thread).
 */
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Startable } from '@fedlake/core'
import { parsedSqlFromJson, printableAstJson } from '@fedlake/sql'
import type { ParsedSql } from '@fedlake/sql'
import { lockedDownOptions } from './lockdown.js'

export interface SqlParser extends Startable {
  parse(sql: string): Promise<ParsedSql>
  /** SQL text of one parsed statement (a `statements[i]` of a successful parse). Throws DuckDB's error. */
  print(statement: unknown): Promise<string>
}

export function createSqlParser (): SqlParser {
  let open: { instance: DuckDBInstance, connection: DuckDBConnection } | undefined
  let tail: Promise<unknown> = Promise.resolve()

  const serially = async <T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> => {
    const run = tail.then(async () => {
      if (open === undefined) throw new Error('SQL parser is not started')
      return await work(open.connection)
    })
    tail = run.catch(() => undefined)
    return await run
  }

  return {
    async start () {
      if (open !== undefined) return
      const instance = await DuckDBInstance.create(':memory:', lockedDownOptions({ threads: 1 }))
      open = { instance, connection: await instance.connect() }
    },
    async stop () {
      const closing = open
      if (closing === undefined) return
      await tail
      open = undefined
      closing.connection.closeSync()
      closing.instance.closeSync()
    },
    async parse (sql) {
      return await serially(async connection => {
        try {
          const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql])
          return parsedSqlFromJson(String(reader.getRows()[0]?.[0] ?? '{"error":true,"error_type":"parser","error_message":"no parse result"}'))
        } catch (err) {
          return { error: true, error_type: 'parser', error_message: err instanceof Error ? err.message : String(err) }
        }
      })
    },
    async print (statement) {
      const json = printableAstJson({ error: false, statements: [statement] })
      return await serially(async connection => {
        const reader = await connection.runAndReadAll('SELECT json_deserialize_sql($1::JSON)', [json])
        return String(reader.getRows()[0]?.[0] ?? '')
      })
    }
  }
}
