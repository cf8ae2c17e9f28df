/**
 * Transport options of the simulator over real gRPC on loopback: TLS and mTLS on the LogService
 * port, grpc.health.v1 on the same or a separate plaintext port (or off), server reflection, and
 * the CLI flags for them.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { FedlakeError } from '@fedlake/core'
import { createKubeArmorSimulator, SIM_ERRORS } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator, SimulatorInit } from '@fedlake/kubearmor-sim'
import grpc from '@grpc/grpc-js'
import protoLoader from '@grpc/proto-loader'
import { createTestPki } from '../../../test/helpers/tls.js'
import type { TestPki } from '../../../test/helpers/tls.js'
import { FEDLAKE_BIN, startFedlake } from '../../../test/helpers/processes.js'
import type { Child } from '../../../test/helpers/processes.js'
import { parseKubearmorSimArgs } from '../../cli/src/commands/kubearmor-sim.js'
import { protobufFields } from '../src/protobuf-fields.js'
import { createClient, createHealthClient } from './grpc-client.js'
import type { HealthStub, LogServiceClient } from './grpc-client.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const SERVING = 1

let pkiDir = ''
let pki: TestPki
const simulators: KubeArmorSimulator[] = []
const closers: Array<{ close(): void }> = []
const children: Child[] = []

before(() => {
  pkiDir = mkdtempSync(join(tmpdir(), 'fedlake-sim-tls-'))
  pki = createTestPki(pkiDir)
})

after(async () => {
  for (const c of closers) c.close()
  await Promise.all(simulators.map(s => s.stop()))
  await Promise.all(children.map(c => c.stop()))
  rmSync(pkiDir, { recursive: true, force: true })
})

async function simulator (init: SimulatorInit): Promise<KubeArmorSimulator> {
  const sim = createKubeArmorSimulator({ port: 0, rate: 200, ...init })
  simulators.push(sim)
  await sim.start()
  return sim
}

function client (address: string, credentials?: grpc.ChannelCredentials): LogServiceClient {
  const c = createClient(address, { credentials })
  closers.push(c)
  return c
}

const tlsCredentials = (): grpc.ChannelCredentials => grpc.credentials.createSsl(pki.caCert)
const mtlsCredentials = (): grpc.ChannelCredentials => grpc.credentials.createSsl(pki.caCert, pki.clientKey, pki.clientCert)

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

const rejectsWith = async (promise: Promise<unknown>, code: grpc.status, what: string): Promise<void> => {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `${what}: got ${err.code} ${err.details}`)
    return true
  })
}

function healthClient (address: string, credentials = grpc.credentials.createInsecure()): HealthStub & grpc.Client {
  const c = createHealthClient(address, credentials)
  closers.push(c)
  return c
}

function healthCheck (address: string, service: string, credentials?: grpc.ChannelCredentials): Promise<number> {
  const c = healthClient(address, credentials)
  return new Promise((resolve, reject) => {
    c.Check(service, { deadline: Date.now() + 5000 }, (err, status) => { if (err !== null) reject(err); else resolve(status ?? 0) })
  })
}

// ---- server reflection client (the .proto files @grpc/reflection ships) ---------------------------

const require = createRequire(import.meta.url)

type ReflectionVersion = 'v1' | 'v1alpha'

function reflectionConstructor (version: ReflectionVersion): grpc.ServiceClientConstructor {
  const file = require.resolve(`@grpc/reflection/build/proto/grpc/reflection/${version}/reflection.proto`)
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true }))
  return ((pkg.grpc as grpc.GrpcObject).reflection as Record<ReflectionVersion, { ServerReflection: grpc.ServiceClientConstructor }>)[version].ServerReflection
}

interface ReflectionResponse {
  list_services_response?: { service: Array<{ name: string }> }
  file_descriptor_response?: { file_descriptor_proto: Buffer[] }
  error_response?: { error_code: number, error_message: string }
}

/** Sends the requests on one ServerReflectionInfo stream and collects one response per request. */
function reflect (address: string, version: ReflectionVersion, requests: Array<Record<string, string>>, credentials = grpc.credentials.createInsecure()): Promise<ReflectionResponse[]> {
  const Ctor = reflectionConstructor(version)
  const c = new Ctor(address, credentials)
  closers.push(c)
  const call = (c as unknown as { ServerReflectionInfo(options: grpc.CallOptions): grpc.ClientDuplexStream<unknown, ReflectionResponse> })
    .ServerReflectionInfo({ deadline: Date.now() + 5000 })
  const responses: ReflectionResponse[] = []
  return new Promise((resolve, reject) => {
    call.on('data', (r: ReflectionResponse) => {
      responses.push(r)
      if (responses.length === requests.length) call.end()
    })
    call.on('error', reject)
    call.on('status', (s: grpc.StatusObject) => { if (s.code === grpc.status.OK) resolve(responses) })
    for (const request of requests) call.write(request)
  })
}

/** The few FileDescriptorProto fields the tests look at: name (1), package (2), service[].name (6.1). */
function decodeFileDescriptor (bytes: Buffer): { name: string, package: string, services: string[], messages: number } {
  const top = protobufFields(bytes)
  const text = (n: number, list = top): string => list.find(f => f.field === n)?.bytes?.toString('utf8') ?? ''
  return {
    name: text(1),
    package: text(2),
    services: top.filter(f => f.field === 6).map(f => text(1, protobufFields(f.bytes ?? Buffer.alloc(0)))),
    messages: top.filter(f => f.field === 4).length
  }
}

// ---- tests ------------------------------------------------------------------------------------------

describe('TLS and mTLS on the LogService port', () => {
  it('TLS: a client trusting the CA gets the nonce echo and events; insecure and wrong-CA clients fail with UNAVAILABLE', async () => {
    const sim = await simulator({ tls: { cert: pki.serverCert, key: pki.serverKey } })
    assert.equal(sim.tls, 'on')
    assert.equal(sim.stats().tls, 'on')
    const good = client(sim.address, tlsCredentials())
    assert.equal(await good.healthCheck(4242), 4242)
    const logs = good.watch('logs', 'all')
    await logs.atLeast(5)
    assert.ok(logs.events.every(e => typeof e.Timestamp === 'number' && e.Timestamp > 0))
    logs.cancel()
    await rejectsWith(client(sim.address).healthCheck(1), grpc.status.UNAVAILABLE, 'insecure client')
    await rejectsWith(client(sim.address, grpc.credentials.createSsl(pki.otherCaCert)).healthCheck(1), grpc.status.UNAVAILABLE, 'client trusting another CA')
    // Also by host name: the certificate is for 127.0.0.1 and localhost.
    assert.equal(await client(`localhost:${sim.port}`, tlsCredentials()).healthCheck(7), 7)
  })

  it('mTLS: a client without a certificate is refused; one with a certificate from the CA is served', async () => {
    const sim = await simulator({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert } })
    assert.equal(sim.tls, 'mtls')
    await rejectsWith(client(sim.address, tlsCredentials()).healthCheck(1), grpc.status.UNAVAILABLE, 'client without a certificate')
    await rejectsWith(client(sim.address).healthCheck(1), grpc.status.UNAVAILABLE, 'insecure client')
    const good = client(sim.address, mtlsCredentials())
    assert.equal(await good.healthCheck(99), 99)
    const alerts = good.watch('alerts', 'policy')
    const logs = good.watch('logs', 'system')
    await Promise.all([alerts.atLeast(1), logs.atLeast(5)])
    alerts.cancel()
    logs.cancel()
  })

  it('rejects unusable TLS material with SIM_INVALID_OPTION before binding', () => {
    const invalid = (init: SimulatorInit): void => {
      assert.throws(() => createKubeArmorSimulator({ port: 0, ...init }), (err: FedlakeError) => err instanceof FedlakeError && err.code === SIM_ERRORS.SIM_INVALID_OPTION)
    }
    invalid({ tls: { cert: 'not a certificate', key: pki.serverKey } })
    invalid({ tls: { cert: pki.serverCert, key: '' } })
    invalid({ tls: { cert: pki.serverCert, key: pki.serverCert } })
    invalid({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: 'nope' } })
  })
})

describe('grpc.health.v1', () => {
  it('separate port: plaintext health SERVING for feeder.LogService and "", none on the TLS LogService port; restart and stop cover it', async () => {
    const sim = await simulator({ tls: { cert: pki.serverCert, key: pki.serverKey }, healthPort: 0 })
    assert.equal(sim.health, 'separate-port')
    assert.ok(sim.healthPort > 0 && sim.healthPort !== sim.port)
    assert.equal(sim.stats().healthPort, sim.healthPort)
    const healthAddress = `127.0.0.1:${sim.healthPort}`
    assert.equal(await healthCheck(healthAddress, 'feeder.LogService'), SERVING)
    assert.equal(await healthCheck(healthAddress, ''), SERVING)
    await rejectsWith(healthCheck(healthAddress, 'policy.PolicyService'), grpc.status.NOT_FOUND, 'unknown service')
    await rejectsWith(healthCheck(healthAddress, '', tlsCredentials()), grpc.status.UNAVAILABLE, 'TLS client on the plaintext health port')
    await rejectsWith(healthCheck(sim.address, 'feeder.LogService', tlsCredentials()), grpc.status.UNIMPLEMENTED, 'health on the LogService port')
    // The LogService itself still works over TLS.
    assert.equal(await client(sim.address, tlsCredentials()).healthCheck(5), 5)

    const before = sim.healthPort
    await sim.restart()
    assert.equal(sim.healthPort, before)
    assert.equal(await healthCheck(healthAddress, 'feeder.LogService'), SERVING)

    const watch = healthClient(healthAddress).Watch('feeder.LogService')
    const statuses: number[] = []
    const ended = new Promise<grpc.StatusObject>(resolve => watch.on('status', resolve))
    watch.on('error', () => { /* the status event carries it */ })
    await new Promise<void>(resolve => watch.on('data', (s: number) => { statuses.push(s); resolve() }))
    assert.deepEqual(statuses, [SERVING])
    await sim.stop()
    assert.equal((await ended).code, grpc.status.OK, 'stop ends health Watch with OK')
    await rejectsWith(healthCheck(healthAddress, ''), grpc.status.UNAVAILABLE, 'health port after stop')
  })

  it('same port by default (also over TLS); healthService: false serves none; healthPort without health is invalid', async () => {
    const same = await simulator({ tls: { cert: pki.serverCert, key: pki.serverKey } })
    assert.equal(same.health, 'same-port')
    assert.equal(same.healthPort, 0)
    assert.equal(same.stats().healthPort, null)
    assert.equal(await healthCheck(same.address, 'feeder.LogService', tlsCredentials()), SERVING)

    const off = await simulator({ healthService: false })
    assert.equal(off.health, 'off')
    await rejectsWith(healthCheck(off.address, 'feeder.LogService'), grpc.status.UNIMPLEMENTED, 'health disabled')
    assert.equal(await client(off.address).healthCheck(3), 3)

    assert.throws(() => createKubeArmorSimulator({ port: 0, healthPort: 0, healthService: false }), (err: FedlakeError) => err.code === SIM_ERRORS.SIM_INVALID_OPTION)
    assert.throws(() => createKubeArmorSimulator({ port: 40000, healthPort: 40000 }), (err: FedlakeError) => err.code === SIM_ERRORS.SIM_INVALID_OPTION)
  })

  it('a busy health port fails start() with SIM_BIND_FAILED and leaves the LogService port free', async () => {
    const holder = await simulator({ healthPort: 0 })
    const port = await freePort()
    const sim = createKubeArmorSimulator({ port, healthPort: holder.healthPort })
    await assert.rejects(sim.start(), (err: FedlakeError) => err.code === SIM_ERRORS.SIM_BIND_FAILED && /health/.test(err.message))
    assert.equal(sim.stats().running, false)
    assert.equal(sim.port, 0)
    const again = await simulator({ port })
    assert.equal(again.port, port, 'the LogService port was released')
  })
})

describe('server reflection', () => {
  it('lists feeder.LogService and the health service, and returns kubearmor.proto by symbol and by file name (v1alpha and v1)', async () => {
    const sim = await simulator({ reflection: true })
    assert.equal(sim.reflection, true)
    const [list, bySymbol, byFile, missing] = await reflect(sim.address, 'v1alpha', [
      { list_services: '' },
      { file_containing_symbol: 'feeder.LogService' },
      { file_by_filename: 'kubearmor.proto' },
      { file_containing_symbol: 'no.such.Service' }
    ])
    const names = list!.list_services_response!.service.map(s => s.name).sort()
    assert.deepEqual(names, ['feeder.LogService', 'grpc.health.v1.Health'])
    const protos = bySymbol!.file_descriptor_response!.file_descriptor_proto
    assert.equal(protos.length, 1)
    const file = decodeFileDescriptor(protos[0]!)
    assert.equal(file.name, 'kubearmor.proto')
    assert.equal(file.package, 'feeder')
    assert.deepEqual(file.services, ['LogService'])
    assert.ok(file.messages >= 8, `messages: ${file.messages}`)
    assert.deepEqual(decodeFileDescriptor(byFile!.file_descriptor_response!.file_descriptor_proto[0]!), file)
    assert.equal(missing!.error_response!.error_code, grpc.status.NOT_FOUND)

    const [health] = await reflect(sim.address, 'v1alpha', [{ file_containing_symbol: 'grpc.health.v1.Health' }])
    const healthFile = decodeFileDescriptor(health!.file_descriptor_response!.file_descriptor_proto[0]!)
    assert.deepEqual([healthFile.name, healthFile.package, healthFile.services], ['grpc/health/v1/health.proto', 'grpc.health.v1', ['Health']])

    const [v1list] = await reflect(sim.address, 'v1', [{ list_services: '' }])
    assert.ok(v1list!.list_services_response!.service.some(s => s.name === 'feeder.LogService'))
  })

  it('with a separate health port lists only feeder.LogService; works over TLS; off by default (UNIMPLEMENTED)', async () => {
    const sim = await simulator({ reflection: true, healthPort: 0, tls: { cert: pki.serverCert, key: pki.serverKey } })
    const [list] = await reflect(sim.address, 'v1alpha', [{ list_services: '' }], tlsCredentials())
    assert.deepEqual(list!.list_services_response!.service.map(s => s.name), ['feeder.LogService'])

    const plain = await simulator({})
    assert.equal(plain.reflection, false)
    await rejectsWith(reflect(plain.address, 'v1alpha', [{ list_services: '' }]), grpc.status.UNIMPLEMENTED, 'v1alpha without reflection')
    await rejectsWith(reflect(plain.address, 'v1', [{ list_services: '' }]), grpc.status.UNIMPLEMENTED, 'v1 without reflection')
  })
})

describe('fedlake kubearmor-sim transport flags', () => {
  it('parses the transport flags: TLS files, health mode, reflection default by profile', () => {
    const tls = parseKubearmorSimArgs(['--tls-cert', pki.serverCertFile, '--tls-key', pki.serverKeyFile, '--tls-client-ca', pki.caCertFile]).init
    assert.deepEqual(tls.tls, { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert })
    assert.equal(tls.healthService, true)
    assert.equal(tls.healthPort, undefined)
    assert.equal(tls.reflection, false, 'relay profile: no reflection')
    assert.equal(parseKubearmorSimArgs([]).init.tls, undefined)
    assert.equal(parseKubearmorSimArgs(['--profile', 'daemon']).init.reflection, true)
    assert.equal(parseKubearmorSimArgs(['--profile', 'daemon', '--no-reflection']).init.reflection, false)
    assert.equal(parseKubearmorSimArgs(['--reflection']).init.reflection, true)
    assert.equal(parseKubearmorSimArgs(['--health-port', '32766']).init.healthPort, 32766)
    assert.equal(parseKubearmorSimArgs(['--no-health']).init.healthService, false)
    for (const bad of [['--reflection', '--no-reflection'], ['--no-health', '--health-port', '0'], ['--health-port', '32767'], ['--health-port', '70000'], ['--tls-key', pki.serverKeyFile]]) {
      assert.throws(() => parseKubearmorSimArgs(bad), { name: 'UsageError' }, bad.join(' '))
    }
  })

  it('rejects --tls-cert without --tls-key, and unreadable files, with exit code 2 and a clear message', async () => {
    const run = async (args: string[]): Promise<{ code: number | null, stderr: string }> => {
      const child = spawn(process.execPath, [FEDLAKE_BIN, 'kubearmor-sim', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
      return { code, stderr }
    }
    const missingKey = await run(['--tls-cert', pki.serverCertFile])
    assert.equal(missingKey.code, 2)
    assert.match(missingKey.stderr, /^fedlake kubearmor-sim: --tls-cert needs --tls-key/)
    const absent = join(pkiDir, 'absent.pem')
    const unreadable = await run(['--tls-cert', pki.serverCertFile, '--tls-key', absent])
    assert.equal(unreadable.code, 2)
    assert.ok(unreadable.stderr.includes(`--tls-key: cannot read ${absent}`), unreadable.stderr)
    const clientCaAlone = await run(['--tls-client-ca', pki.caCertFile])
    assert.equal(clientCaAlone.code, 2)
    assert.match(clientCaAlone.stderr, /--tls-client-ca needs --tls-cert and --tls-key/)
  })

  it('serves TLS with a separate plaintext health port and reports both on the ready line', async () => {
    const child = await startFedlake(['kubearmor-sim', '--port', '0', '--rate', '50', '--profile', 'daemon',
      '--tls-cert', pki.serverCertFile, '--tls-key', pki.serverKeyFile, '--health-port', '0'])
    children.push(child)
    assert.equal(child.ready.tls, 'on')
    assert.equal(child.ready.health, 'separate-port')
    assert.equal(child.ready.reflection, 'on', 'the daemon profile registers reflection by default')
    const port = Number(child.ready.port)
    const healthPort = Number(child.ready.health_port)
    assert.ok(port > 0 && healthPort > 0 && port !== healthPort, JSON.stringify(child.ready))
    assert.equal(await healthCheck(`127.0.0.1:${healthPort}`, 'feeder.LogService'), SERVING)
    assert.equal(await client(`127.0.0.1:${port}`, tlsCredentials()).healthCheck(31), 31)
    const [list] = await reflect(`127.0.0.1:${port}`, 'v1alpha', [{ list_services: '' }], tlsCredentials())
    assert.deepEqual(list!.list_services_response!.service.map(s => s.name), ['feeder.LogService'])
    assert.equal(await child.stop(), 0)
    const final = JSON.parse(child.output().split('\n').find(l => l.startsWith('{"stats"'))!) as { stats: { tls: string, healthPort: number } }
    assert.equal(final.stats.tls, 'on')
    assert.equal(final.stats.healthPort, healthPort)
  })
})
