/**
 * Ed25519 with Node's crypto and cached key objects. @libp2p/crypto rebuilds a key object for
 * every verify, which made signature checks the largest CPU cost once many nodes gossip.
 */
import { createPublicKey, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const MAX_CACHED = 10_000
const publicKeys = new Map<string, KeyObject | null>()

/** The public key embedded in an Ed25519 peer id; null if the id is invalid or not Ed25519. */
export function publicKeyOf (peerId: string): KeyObject | null {
  let key = publicKeys.get(peerId)
  if (key !== undefined) return key
  try {
    const pk = peerIdFromString(peerId).publicKey
    key = pk?.type === 'Ed25519' ? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk.raw]), format: 'der', type: 'spki' }) : null
  } catch {
    key = null
  }
  if (publicKeys.size >= MAX_CACHED) publicKeys.clear()
  publicKeys.set(peerId, key)
  return key
}

export function verifyBy (peerId: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyOf(peerId)
  if (key === null) return false
  try { return verify(null, data, key, signature) } catch { return false }
}
