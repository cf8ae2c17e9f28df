/**
 * The pre-shared network key (libp2p private network, XSalsa20 over every connection). Nodes
 * without the same key cannot complete a connection. File format is libp2p's swarm key:
 * `/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits.
 */
import { access } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'
import { FedlakeError } from '@fedlake/core'
import { METADATA_ERRORS } from './errors.js'
import { readFileIfExists, writeFileAtomic } from './persistence.js'

const KEY_RE = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-fA-F]{64}\n?$/

export interface GenerateNetworkKeyOptions {
  /** Replace an existing file. @default false */
  readonly overwrite?: boolean
}

/** Writes a new random network key to path (mode 0600) and returns its bytes. */
export async function generateNetworkKey (path: string, options: GenerateNetworkKeyOptions = {}): Promise<Uint8Array> {
  if (options.overwrite !== true) {
    const exists = await access(path).then(() => true, () => false)
    if (exists) throw new FedlakeError(METADATA_ERRORS.METADATA_NETWORK_KEY_INVALID, `network key file ${path} already exists`, { path })
  }
  const key = new Uint8Array(95)
  generateKey(key)
  await writeFileAtomic(path, key, 0o600)
  return key
}

/** Reads and validates a network key file; returns the bytes libp2p's preSharedKey expects. */
export async function loadNetworkKey (path: string): Promise<Uint8Array> {
  const bytes = await readFileIfExists(path)
  if (bytes === undefined) throw new FedlakeError(METADATA_ERRORS.METADATA_NETWORK_KEY_INVALID, `network key file ${path} does not exist`, { path })
  const text = bytes.toString('utf8').replace(/\r\n/g, '\n').trim()
  if (!KEY_RE.test(text)) {
    throw new FedlakeError(METADATA_ERRORS.METADATA_NETWORK_KEY_INVALID,
      `network key file ${path} is not a libp2p swarm key (/key/swarm/psk/1.0.0/, /base16/, 64 hex digits)`, { path })
  }
  const hex = (text.split('\n')[2] ?? '').toLowerCase()
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`)
}
