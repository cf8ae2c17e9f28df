#!/usr/bin/env node
// The fedlake command. It runs the JavaScript compiled into packages/*/dist (scripts/build.mjs, run by `npm install`,
// `npm ci` and `npm run build`). It runs the TypeScript sources through tsx's loader when FEDLAKE_FROM_SOURCE=1 or
// no complete build exists. From sources a resolve hook adds the "source" export condition, as
// `node --conditions=source` would, so @fedlake/* imports resolve to packages/*/src and never to a stale dist.
// dist is not checked against the sources here (a stat of every source costs 5-70 ms a call); after editing
// sources, `npm run build` (or FEDLAKE_FROM_SOURCE=1).
import { existsSync } from 'node:fs'

const BUILD_STAMP = new URL('../dist/.build-stamp', import.meta.url)
const SOURCE_CONDITION = 'data:text/javascript,' + encodeURIComponent(
  'export async function resolve (specifier, context, next) {' +
  ' return await next(specifier, context.conditions.includes("source") ? context : { ...context, conditions: [...context.conditions, "source"] }) }')

const fromSource = process.env.FEDLAKE_FROM_SOURCE === '1' || !existsSync(BUILD_STAMP)
if (fromSource) {
  const { register } = await import('tsx/esm/api')
  register()
  const { register: registerHooks } = await import('node:module')
  registerHooks(SOURCE_CONDITION)
} else {
  // FEDLAKE_SOURCE_MAPS=1: stack traces name the TypeScript sources (dist/*.js.map). Off by default: reading every
  // module's map made a node's start-up ~9 % slower (median of 6 alternating starts, 2026-12-02).
  if (process.env.FEDLAKE_SOURCE_MAPS === '1') process.setSourceMapsEnabled(true)
}
await import('@fedlake/core/polyfills')
const { main } = fromSource ? await import('../src/main.ts') : await import('../dist/main.js')
process.exitCode = await main(process.argv.slice(2))
