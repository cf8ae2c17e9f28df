/**
 * Differential suite, generated: seeded random SELECTs (helpers/query-generator.ts) answered through the planner
 * over three operators and compared with one DuckDB holding the union of their rows.
 * Replay: FEDLAKE_PLAN_SEED=<seed> [FEDLAKE_PLAN_QUERIES=<n>] node --conditions=source --import tsx --test packages/query/test/planner-generated.test.ts
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { differences } from '../../../test/helpers/compare-answers.js'
import { DBMS, generateKubeArmorData, NOW } from '../../../test/helpers/kubearmor-data.js'
import { createNetwork } from './helpers/network-harness.js'
import type { Network } from './helpers/network-harness.js'
import { generateQueries } from '../../../test/helpers/query-generator.js'

const SEED = Number(process.env.FEDLAKE_PLAN_SEED ?? 20260517)
const COUNT = Number(process.env.FEDLAKE_PLAN_QUERIES ?? 320)
const DATA_SEED = 7

describe(`planner, generated queries (seed ${SEED}, ${COUNT} queries)`, () => {
  let network: Network
  before(async () => {
    const data = generateKubeArmorData(DATA_SEED)
    network = await createNetwork({ dbms: DBMS, tables: [data.schemas.logs, data.schemas.alert], rows: data.rows, now: NOW })
  })
  after(async () => { await network.close() })

  const queries = generateQueries(SEED, COUNT)
  for (const [index, query] of queries.entries()) {
    it(`#${index} ${query.sql}`, async () => {
      const got = await network.query(query.sql)
      const want = await network.reference(query.reference)
      const diff = differences(got, want, query.ordered)
      assert.equal(diff, undefined, `query #${index} of seed ${SEED} (replay: FEDLAKE_PLAN_SEED=${SEED}) differs: ${diff ?? ''}\n${got.sql.join('\n')}`)
    })
  }
})
