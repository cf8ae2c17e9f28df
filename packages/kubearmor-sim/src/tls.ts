/**
 * Transport security of the LogService port: insecure (KubeArmor's default, `tlsEnabled=false`),
 * TLS, or mTLS (client certificates required and verified against `clientCa`).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { FedlakeError } from '@fedlake/core'
import grpc from '@grpc/grpc-js'
import { SIM_ERRORS } from './errors.js'

/** PEM contents (not file paths). */
export interface SimulatorTls {
  /** Server certificate chain. */
  cert: Buffer | string
  /** Server private key. */
  key: Buffer | string
  /** CA bundle for client certificates: when set, clients must present a certificate it signed (mTLS). */
  clientCa?: Buffer | string
}

/** How the LogService port is secured, as the CLI's ready line reports it (`tls=off|on|mtls`). */
export type TlsMode = 'off' | 'on' | 'mtls'

export function tlsMode (tls: SimulatorTls | undefined): TlsMode {
  if (tls === undefined) return 'off'
  return tls.clientCa === undefined ? 'on' : 'mtls'
}

const pem = (value: Buffer | string): Buffer => Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')

function invalidTls (message: string, cause?: unknown): FedlakeError {
  return new FedlakeError(SIM_ERRORS.SIM_INVALID_OPTION, message, {}, cause === undefined ? undefined : { cause })
}

/** Rejects missing or unparsable PEM up front (grpc-js would only fail at bind time, with an OpenSSL message). */
export function checkTls (tls: SimulatorTls | undefined): void {
  if (tls === undefined) return
  const parse = (name: string, value: Buffer | string | undefined, what: string, parser: (pem: Buffer) => unknown): void => {
    if (value === undefined || pem(value).length === 0) throw invalidTls(`tls.${name} must be a non-empty PEM ${what}`)
    try {
      parser(pem(value))
    } catch (err) {
      throw invalidTls(`tls.${name} is not a PEM ${what}: ${(err as Error).message}`, err)
    }
  }
  parse('cert', tls.cert, 'certificate', b => new X509Certificate(b))
  parse('key', tls.key, 'private key', b => createPrivateKey(b))
  if (tls.clientCa !== undefined) parse('clientCa', tls.clientCa, 'CA certificate', b => new X509Certificate(b))
}

/** Server credentials for the LogService port; PEM problems surface as SIM_INVALID_OPTION. */
export function serverCredentials (tls: SimulatorTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure()
  try {
    const clientCa = tls.clientCa === undefined ? null : pem(tls.clientCa)
    return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: pem(tls.cert), private_key: pem(tls.key) }], clientCa !== null)
  } catch (err) {
    throw invalidTls(`invalid TLS material: ${(err as Error).message}`, err)
  }
}
