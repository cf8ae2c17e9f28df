#!/usr/bin/env node
// fedlake runs from its TypeScript sources through tsx's loader: no build step after `npm install`.
import { register } from 'tsx/esm/api'

register()
await import('@fedlake/core/polyfills')
const { main } = await import('../src/main.ts')
process.exitCode = await main(process.argv.slice(2))
