/**
 * A ResultStream turned into the command's reply: one-document formats are read to the end first (so the
 * status is sent only for a complete, capped result), json:output becomes a streamed body whose cut ends with
 * an error record.
 */
import type { CommandReply } from '@fedlake/core'
import type { ResultStream } from '@fedlake/sql'
import { createReplyEncoder, errorRecord } from './reply.js'
import type { ReplyOptions, ReplyStatistics } from './reply.js'

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
      for await (const batch of stream) encoder.add(batch)
    } catch (err) {
      stream.cancel(err)
      throw err
    }
    return { kind: 'raw', body: encoder.finish(statistics()), contentType: encoder.contentType }
  }
  const streaming = encoder
  async function * body (): AsyncGenerator<string> {
    try {
      for await (const batch of stream) {
        const text = streaming.add(batch)
        if (text !== '') yield text
      }
      const last = streaming.finish(statistics())
      if (last !== '') yield last
    } finally {
      stream.cancel()
    }
  }
  return { kind: 'stream', contentType: streaming.contentType, body: body(), errorTrailer: error => errorRecord(error, streaming.rows()) }
}
