/**
 * KubeArmor with mTLS (tlsEnabled) end to end: a simulator requiring client certificates and a
 * `fedlake node --roles operator` process with the --kubearmor-tls flags, queried through its REST API.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { waitFor } from '@fedlake/core'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { localQuery, restCommand, startFedlake, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'
import { createTestPki } from './helpers/tls.js'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

async function startOperator (dataDir: string, source: string, tlsArgs: string[]): Promise<Child> {
  const child = await startFedlake(['node', '--roles', 'operator', '--name', 'op-tls', '--rest-port', '0', '--p2p-port', '0',
    '--data-dir', dataDir, '--kubearmor', source, ...tlsArgs])
  cleanups.push(async () => { await child.stop('SIGKILL') })
  return child
}

async function logsClient (url: string): Promise<Record<string, unknown>> {
  const reply = await restCommand(url, 'get grpc client where format = json')
  assert.equal(reply.status, 200)
  const client = (reply.json() as Array<Record<string, unknown>>).find(c => String(c['Name (ID)']).startsWith('kubearmor-logs@'))
  assert.ok(client !== undefined, 'a logs subscription is listed')
  return client
}

describe('KubeArmor over mTLS end to end', { timeout: 120_000 }, () => {
  const pkiDir = tempDir('e2e-tls-pki')
  cleanups.push(() => { pkiDir.remove() })
  const pki = createTestPki(pkiDir.path)

  it('stores what an mTLS KubeArmor sent; an operator without a client certificate gets nothing and says why', async () => {
    const sim = createKubeArmorSimulator({
      host: '127.0.0.1', port: 0, count: 5000, seed: 7, nodes: 2, pods: 6,
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert }
    })
    await sim.start()
    cleanups.push(async () => { await sim.stop() })
    assert.equal(sim.tls, 'mtls')

    // without a client certificate: the handshake fails, the subscription keeps retrying and reports the error
    const refusedDir = tempDir('e2e-tls-refused')
    cleanups.push(() => { refusedDir.remove() })
    const refused = await startOperator(refusedDir.path, sim.address, ['--kubearmor-tls', '--kubearmor-ca-file', pki.caCertFile])
    const refusedUrl = refused.ready.rest ?? ''
    await waitFor(async () => String((await logsClient(refusedUrl)).Error ?? '') !== '', { timeoutMs: 30_000, intervalMs: 200, what: 'the refused operator to report an error' })
    const refusedStatus = await logsClient(refusedUrl)
    assert.notEqual(refusedStatus.Status, 'Active')
    assert.match(String(refusedStatus.Error), /TLS: .*certificate required/)
    assert.equal(refusedStatus['Data Msgs'], 0)
    assert.equal(refusedStatus.Connection, `${sim.address} (tls)`)

    const dir = tempDir('e2e-tls')
    cleanups.push(() => { dir.remove() })
    const op = await startOperator(dir.path, sim.address, ['--kubearmor-tls', '--kubearmor-ca-file', pki.caCertFile,
      '--kubearmor-cert-file', pki.clientCertFile, '--kubearmor-key-file', pki.clientKeyFile])
    const url = op.ready.rest ?? ''
    await sim.whenCountReached()
    const sent = (): { logs: number, alerts: number } => ({ logs: sim.stats().streams.logs.sent, alerts: sim.stats().streams.alerts.sent })
    const stored = async (table: string): Promise<number> => {
      try { return Number((await localQuery(url, 'kubearmor', `select count(*) as n from ${table}`))[0]?.n ?? 0) } catch { return 0 }
    }
    await waitFor(async () => await stored('logs') === sent().logs && await stored('alert') === sent().alerts,
      { timeoutMs: 60_000, intervalMs: 250, what: 'rows over mTLS to equal what the simulator sent' })
    assert.ok(sent().logs > 0 && sent().alerts > 0)
    const status = await logsClient(url)
    assert.equal(status.Status, 'Active')
    assert.equal(status.Connection, `${sim.address} (mtls)`)
    assert.equal(status['Data Msgs'], sent().logs)

    // the refused operator is still refused: a client certificate is what let the other one in
    assert.equal((await logsClient(refusedUrl))['Data Msgs'], 0)
  })

  it('stops at start with CONFIG_INVALID when a certificate file cannot be read', async () => {
    const dir = tempDir('e2e-tls-bad')
    cleanups.push(() => { dir.remove() })
    await assert.rejects(startFedlake(['node', '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path,
      '--kubearmor', '127.0.0.1:1', '--kubearmor-tls', '--kubearmor-ca-file', `${dir.path}/missing-ca.crt`]),
    (err: Error) => /CONFIG_INVALID|kubearmorTls\.caFile/.test(err.message) && err.message.includes('missing-ca.crt'))
  })
})
