/**
 * Writes every sent event as Go-style JSON, one per line (NDJSON). With a path containing
 * `{stream}`, one file per stream holding bare events (like the relay's stdout); otherwise one
 * file of `{"stream":"logs","event":{...}}` lines.
 */
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { KubeArmorStream } from '@fedlake/core'
import { toGoJson } from './go-json.js'

export interface DumpWriter {
  write(stream: KubeArmorStream, event: object): void
  close(): Promise<void>
}

export function createDumpWriter (path: string): DumpWriter {
  const perStream = path.includes('{stream}')
  const files = new Map<string, WriteStream>()
  const fileFor = (stream: KubeArmorStream): WriteStream => {
    const key = perStream ? stream : ''
    let file = files.get(key)
    if (file === undefined) {
      file = createWriteStream(perStream ? path.replaceAll('{stream}', stream) : path, { flags: 'w' })
      files.set(key, file)
    }
    return file
  }
  if (!perStream) fileFor('logs')
  return {
    write (stream, event) {
      const json = toGoJson(stream, event)
      fileFor(stream).write(perStream ? `${json}\n` : `{"stream":"${stream}","event":${json}}\n`)
    },
    async close () {
      await Promise.all([...files.values()].map(file => new Promise<void>((resolve, reject) => {
        file.end((err?: Error | null) => { if (err) reject(err); else resolve() })
      })))
      files.clear()
    }
  }
}
