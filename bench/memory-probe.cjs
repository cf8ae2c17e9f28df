/**
 * Loaded into an operator process with `node --require bench/memory-probe.cjs` by bench/operator-memory.ts: every
 * thread of the process (main, the storage worker, tsx's module-loader threads: each a V8 isolate of its own) writes
 * its V8 heap figures to $FEDLAKE_MEMORY_PROBE_DIR/<pid>-<threadId>.json twice a second (the peak is over those samples).
 * CommonJS because a `--require` preload is the only one Node 20 runs in worker threads too (`--import` runs in the
 * main thread only).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict'
const { threadId, isMainThread, workerData } = require('node:worker_threads')
const { getHeapStatistics, getHeapSpaceStatistics } = require('node:v8')
const { renameSync, writeFileSync } = require('node:fs')

const dir = process.env.FEDLAKE_MEMORY_PROBE_DIR
if (dir !== undefined && dir !== '') {
  // the storage worker is started with workerData.init; tsx's loader threads with none of ours
  const thread = isMainThread ? 'main' : (workerData !== null && typeof workerData === 'object' && 'init' in workerData ? 'storage worker' : 'module loader (tsx)')
  const file = `${dir}/${process.pid}-${threadId}.json`
  let heapTotalPeak = 0
  const write = () => {
    const heap = getHeapStatistics()
    heapTotalPeak = Math.max(heapTotalPeak, heap.total_heap_size)
    const space = name => getHeapSpaceStatistics().find(s => s.space_name === name)?.space_size ?? 0
    writeFileSync(`${file}.tmp`, JSON.stringify({
      thread,
      threadId,
      heapTotal: heap.total_heap_size,
      heapUsed: heap.used_heap_size,
      heapTotalPeak,
      newSpace: space('new_space'),
      external: heap.external_memory,
      at: Date.now()
    }))
    renameSync(`${file}.tmp`, file)
  }
  write()
  setInterval(write, 500).unref()
}
