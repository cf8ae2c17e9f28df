import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { errorSpec, isFedlakeError } from '@fedlake/core'
import { parseRunClient } from '../src/index.js'

describe('parseRunClient', () => {
  it('empty parentheses: targets from the metadata, the command kept as written', () => {
    assert.deepEqual(parseRunClient('run client () sql kubearmor format=table "select count(*) from logs"'), {
      targets: { kind: 'metadata' }, command: 'sql kubearmor format=table "select count(*) from logs"'
    })
    assert.deepEqual(parseRunClient('RUN CLIENT ( )   get status '), { targets: { kind: 'metadata' }, command: 'get status' })
  })

  it('addresses: ip:port and EdgeLake\'s "ip port", duplicates removed, localhost as 127.0.0.1', () => {
    assert.deepEqual(parseRunClient('run client (10.0.0.1:32348, 10.0.0.2 32348,localhost:7, 10.0.0.1:32348) get status').targets,
      { kind: 'addresses', list: ['10.0.0.1:32348', '10.0.0.2:32348', '127.0.0.1:7'] })
    assert.deepEqual(parseRunClient('run client 10.0.0.9:2048 get status'), { targets: { kind: 'addresses', list: ['10.0.0.9:2048'] }, command: 'get status' })
    assert.deepEqual(parseRunClient('run client ([::1]:9000) get status').targets, { kind: 'addresses', list: ['[::1]:9000'] })
  })

  it('options inside the parentheses, with or without targets, in any order', () => {
    assert.deepEqual(parseRunClient('run client (subset = true, timeout = 20) sql d select 1'),
      { targets: { kind: 'metadata' }, subset: true, timeoutMs: 20_000, command: 'sql d select 1' })
    assert.deepEqual(parseRunClient('run client (10.0.0.1:1, timeout=2 minutes, subset=FALSE, 10.0.0.2:2) get status'),
      { targets: { kind: 'addresses', list: ['10.0.0.1:1', '10.0.0.2:2'] }, subset: false, timeoutMs: 120_000, command: 'get status' })
    assert.equal(parseRunClient('run client (timeout = 1.5) get status').timeoutMs, 1500)
    assert.equal(parseRunClient('run client (timeout = 250ms) get status').timeoutMs, 250)
  })

  it('blockchain get: kept whole (commas, quoted parentheses), bring.ip_port added when no bring', () => {
    assert.deepEqual(parseRunClient('run client (blockchain get operator where [company] == "a (b)" bring [operator][ip] : [operator][port], subset = true) get status'), {
      targets: { kind: 'blockchain', query: 'blockchain get operator where [company] == "a (b)" bring [operator][ip] : [operator][port]' },
      subset: true,
      command: 'get status'
    })
    assert.deepEqual(parseRunClient('run client (blockchain get  operator where [name] == op1) get status').targets,
      { kind: 'blockchain', query: 'blockchain get operator where [name] == op1 bring.ip_port' })
    assert.deepEqual(parseRunClient('run client (operator where [name] == op1) get status').targets,
      { kind: 'blockchain', query: 'blockchain get operator where [name] == op1 bring.ip_port' })
  })

  const bad: [string, RegExp][] = [
    ['run client', /expected "run client/],
    ['run client () ', /missing the command/],
    ['run client (10.0.0.1:1 get status', /unbalanced/],
    ['run client (10.0.0.1) get status', /'10.0.0.1' is not a target/],
    ['run client (10.0.0.1:70000) get status', /is not a target/],
    ['run client (subset = maybe) get status', /subset must be true or false/],
    ['run client (timeout = soon) get status', /timeout must be a number/],
    ['run client (timeout = 0) get status', /timeout must be positive/],
    ['run client (timeout = 3 fortnights) get status', /timeout must be a number/],
    ['run client (timeout = 1, timeout = 2) get status', /given twice/],
    ['run clients () get status', /must start with "run client"/],
    ['get status', /must start with "run client"/]
  ]
  for (const [text, message] of bad) {
    it(`refuses with Error Command Structure: ${text}`, () => {
      assert.throws(() => parseRunClient(text), (err: unknown) =>
        isFedlakeError(err, 'COMMAND_SYNTAX') && message.test(err.message) && errorSpec(err.code).edgelakeCode === 2)
    })
  }
})
