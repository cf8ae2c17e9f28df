#!/usr/bin/env node
// The fedlake command. It runs the JavaScript compiled into packages/*/dist (scripts/build.mjs, run by `npm install`,
// `npm ci` and `npm run build`). It runs the TypeScript sources through tsx's loader when FEDLAKE_FROM_SOURCE=1 or
// no complete build exists. From sources a resolve hook adds the "source" export condition, as
// `node --conditions=source` would, so @fedlake/* imports resolve to packages/*/src and never to a stale dist.
// dist is not checked against the sources here (a stat of every source costs 5-70 ms a call); after editing
// sources, `npm run build` (or FEDLAKE_FROM_SOURCE=1).
//
// This file is CommonJS (bin/package.json) so that it runs before anything uses libuv's thread pool: the pool
// reads UV_THREADPOOL_SIZE once, when it starts, and loading an ES module entry already starts it. Every DuckDB
// call (a query's next chunk, an appender flush, a COMMIT) holds one pool thread until it returns, so with the
// default 4 threads, 4 long queries would hold back every ingest commit (and file access) until one ended.
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')

/** Pool threads when the environment does not set UV_THREADPOOL_SIZE (see docs/configuration.md). */
const DEFAULT_THREAD_POOL_SIZE = 16
if (process.env.UV_THREADPOOL_SIZE === undefined || process.env.UV_THREADPOOL_SIZE === '') {
  process.env.UV_THREADPOOL_SIZE = String(DEFAULT_THREAD_POOL_SIZE)
}

const BUILD_STAMP = join(__dirname, '..', 'dist', '.build-stamp')
const SOURCE_CONDITION = 'data:text/javascript,' + encodeURIComponent(
  'export async function resolve (specifier, context, next) {' +
  ' return await next(specifier, context.conditions.includes("source") ? context : { ...context, conditions: [...context.conditions, "source"] }) }')

async function run () {
  const fromSource = process.env.FEDLAKE_FROM_SOURCE === '1' || !existsSync(BUILD_STAMP)
  if (fromSource) {
    const { register } = await import('tsx/esm/api')
    register()
    const { register: registerHooks } = await import('node:module')
    registerHooks(SOURCE_CONDITION)
  } else if (process.env.FEDLAKE_SOURCE_MAPS === '1') {
    // FEDLAKE_SOURCE_MAPS=1: stack traces name the TypeScript sources (dist/*.js.map). Off by default: reading every
    // module's map made a node's start-up ~9 % slower (median of 6 alternating starts, 2026-12-02).
    process.setSourceMapsEnabled(true)
  }
  await import('@fedlake/core/polyfills')
  const { main } = fromSource ? await import('../src/main.ts') : await import('../dist/main.js')
  process.exitCode = await main(process.argv.slice(2))
}

run().catch(err => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exitCode = 1
})
