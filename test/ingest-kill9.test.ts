/**
 * kill -9 during ingest loses at most about two seconds of received events (docs/kubearmor.md, Durability):
 * an operator process ingesting from a simulator at a fixed rate is killed with SIGKILL twice at random moments
 * and restarted on the same data directory; what it committed is compared with what the simulator handed it.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { killRestart } from './helpers/kill-restart.js'
import { tempDir } from './helpers/processes.js'

const RATE = 5000
/** The documented bound is ~2 s of the ingest rate; the test allows 2.5 s for a machine shared with other work. */
const BOUND_SECONDS = 2.5

describe('kill -9 during ingest', () => {
  const dir = tempDir('kill9')
  const sim = createKubeArmorSimulator({ host: '127.0.0.1', port: 0, rate: RATE, seed: 5 })
  let killAfter = 0
  const runs = killRestart({ sim, dir: dir.path, killWhen: ({ delivered }) => delivered >= killAfter })
  after(async () => {
    await runs.close()
    await sim.stop()
    dir.remove()
  })

  it(`loses at most ${BOUND_SECONDS} s of the ingest rate, and the restarted operator keeps every committed row`, async (t) => {
    await sim.start()
    for (let round = 1; round <= 2; round++) {
      // 5-8 s into the round, so the rate is measured over seconds of steady ingest
      killAfter = Math.round(RATE * (5 + 3 * Math.random()))
      const r = await runs.round()
      const where = `round ${round}: delivered ${r.delivered}, committed ${r.committed}, rate ${Math.round(r.rate)}/s`
      t.diagnostic(`${where}, lost ${r.lost} = ${r.lostSeconds.toFixed(2)} s`)
      assert.ok(r.committed > 0, `${where}: something was committed`)
      assert.ok(r.lost >= 0, `${where}: no more rows than events delivered`)
      assert.ok(r.rate > RATE / 2, `${where}: the simulator kept its rate`)
      assert.ok(r.lostSeconds <= BOUND_SECONDS, `${where}: lost ${r.lost} = ${r.lostSeconds.toFixed(2)} s of the rate`)
    }
  })
})
