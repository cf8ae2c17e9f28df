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
/**
 * Text per slice, at most: below V8's large-object size (~128 KiB), so each slice's string dies young. A larger
 * one goes straight to the old generation, which only a full GC frees, and a long stream's RSS grew with it.
 */
const SLICE_CHARS = 64 * 1024

/** Cuts batches into slices of at most SLICE_VALUES values and, when streaming, about SLICE_CHARS of text (by the rows seen so far). */
class Slicer {
  private charsPerRow = 0

  constructor (private readonly encoder: ReplyEncoder) {}

  async * slices (batch: ResultBatch): AsyncGenerator<string> {
    const byValues = Math.max(64, Math.floor(SLICE_VALUES / Math.max(1, batch.vectors.length)))
    for (let start = 0; start < batch.rowCount;) {
      if (start > 0) await new Promise(resolve => setImmediate(resolve))
      // a one-document encoder keeps its text (nothing to size); a streaming one learns the rows' width from a first small slice
      const rows = !this.encoder.streaming ? byValues : this.charsPerRow === 0 ? Math.min(byValues, 64) : Math.max(1, Math.min(byValues, Math.floor(SLICE_CHARS / this.charsPerRow)))
      const end = Math.min(batch.rowCount, start + rows)
      const text = this.encoder.add(batch, start, end)
      if (text !== '') {
        this.charsPerRow = text.length / (end - start)
        yield text
      }
      start = end
    }
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
  const slicer = new Slicer(encoder)
  if (!encoder.streaming) {
    try {
      for await (const batch of stream) {
        for await (const _ of slicer.slices(batch)) { /* kept by the encoder */ }
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
      for await (const batch of stream) yield * slicer.slices(batch)
      const last = streaming.finish(statistics())
      if (last !== '') yield last
    } finally {
      stream.cancel()
    }
  }
  return { kind: 'stream', contentType: streaming.contentType, body: body(), errorTrailer: error => errorRecord(error, streaming.rows()) }
}
