import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('../scripts/gen-docs.ts', import.meta.url))

describe('generated reference docs', () => {
  it('docs/errors.md and docs/configuration.md match the error registry and the config schema', () => {
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, '--check'], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(run.status, 0, run.stderr)
  })
})
