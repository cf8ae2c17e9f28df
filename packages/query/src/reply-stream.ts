/**
 * A ResultStream turned into the command's reply: one-document formats are read to the end first (so the
 * status is sent only for a complete, capped result), json:output becomes a streamed body whose cut ends with
 * an error record. Batches are encoded a slice of rows at a time with a turn of the event loop in between,
 * so a wide 2048-row batch never holds the node's thread for long.
 */
import type { CommandReply } from '@fedlake/core'
import type { ResultBatch, ResultStream } from '@fedlake/sql'
import { createReplyEncoder, errorRecord } from './reply.js'
import type { ReplyEncoder, ReplyOptions, ReplyStatistics } from './reply.js'

/** Values encoded between two turns of the event loop (~1-3 ms of work). */
const SLICE_VALUES = 8192

async function * encodedSlices (encoder: ReplyEncoder, batch: ResultBatch): AsyncGenerator<string> {
  const rows = Math.max(64, Math.floor(SLICE_VALUES / Math.max(1, batch.vectors.length)))
  for (let start = 0; start < batch.rowCount; start += rows) {
    if (start > 0) await new Promise(resolve => setImmediate(resolve))
    const text = encoder.add(batch, start, Math.min(batch.rowCount, start + rows))
    if (text !== '') yield text
  }
}

/** `statistics` is asked once the result has ended. */
export async function replyFromStream (stream: ResultStream, options: ReplyOptions, statistics: () => ReplyStatistics): Promise<CommandReply> {
  let encoder
  try {
    encoder = createReplyEncoder(stream.fields, options)
  } catch (err) {
    stream.cancel(err)
    throw err
  }
  if (!encoder.streaming) {
    try {
      for await (const batch of stream) {
        for await (const _ of encodedSlices(encoder, batch)) { /* kept by the encoder */ }
      }
    } catch (err) {
      stream.cancel(err)
      throw err
    }
    return { kind: 'raw', body: encoder.finish(statistics()), contentType: encoder.contentType }
  }
  const streaming = encoder
  async function * body (): AsyncGenerator<string> {
    try {
      for await (const batch of stream) yield * encodedSlices(streaming, batch)
      const last = streaming.finish(statistics())
      if (last !== '') yield last
    } finally {
      stream.cancel()
    }
  }
  return { kind: 'stream', contentType: streaming.contentType, body: body(), errorTrailer: error => errorRecord(error, streaming.rows()) }
}
