import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { FEDLAKE_BIN as BIN } from './helpers/fedlake-bin.js'

describe('fedlake command line', () => {
  it('lists its subcommands with --help and rejects an unknown one', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })
    assert.equal(help.status, 0)
    for (const sub of ['node', 'demo', 'kubearmor-sim', 'client', 'sql']) assert.match(help.stdout, new RegExp(`\\b${sub}\\b`))
    const bad = spawnSync(process.execPath, [BIN, 'no-such-command'], { encoding: 'utf8' })
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /unknown command 'no-such-command'/)
  })
})
