/**
 * A throwaway PKI for TLS tests, made with the openssl command line (Debian's `openssl`, which .ci/run
 * installs): a CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA,
 * plus a second CA that signed nothing here (to prove a wrong CA is refused). EC P-256 keys, valid one day.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestPki {
  readonly dir: string
  /** PEM file paths */
  readonly caCertFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  readonly otherCaCertFile: string
  /** PEM contents of the same files */
  readonly caCert: Buffer
  readonly serverCert: Buffer
  readonly serverKey: Buffer
  readonly clientCert: Buffer
  readonly clientKey: Buffer
  readonly otherCaCert: Buffer
}

function openssl (args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function selfSignedCa (dir: string, name: string): { cert: string, key: string } {
  const key = join(dir, `${name}.key`)
  const cert = join(dir, `${name}.crt`)
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=fedlake test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  return { cert, key }
}

function signedLeaf (dir: string, name: string, ca: { cert: string, key: string }, extensions: string): { cert: string, key: string } {
  const key = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  const cert = join(dir, `${name}.crt`)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, extensions)
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', csr, '-subj', `/CN=${name}`])
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert,
    '-days', '1', '-extfile', ext])
  return { cert, key }
}

/** Writes the PKI into `dir` (which must exist; the caller removes it). */
export function createTestPki (dir: string): TestPki {
  const ca = selfSignedCa(dir, 'ca')
  const other = selfSignedCa(dir, 'other-ca')
  const server = signedLeaf(dir, 'server', ca,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n')
  const client = signedLeaf(dir, 'client', ca,
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n')
  return {
    dir,
    caCertFile: ca.cert,
    serverCertFile: server.cert,
    serverKeyFile: server.key,
    clientCertFile: client.cert,
    clientKeyFile: client.key,
    otherCaCertFile: other.cert,
    caCert: readFileSync(ca.cert),
    serverCert: readFileSync(server.cert),
    serverKey: readFileSync(server.key),
    clientCert: readFileSync(client.cert),
    clientKey: readFileSync(client.key),
    otherCaCert: readFileSync(other.cert)
  }
}
