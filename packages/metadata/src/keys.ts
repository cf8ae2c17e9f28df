/**
 * The node's identity: an Ed25519 key pair kept in the data directory (libp2p protobuf form,
 * mode 0600). Its peer id names the node and signs every policy it publishes.
 */
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { FedlakeError } from '@fedlake/core'
import type { PrivateKey } from '@libp2p/interface'
import { METADATA_ERRORS } from './errors.js'
import { readFileIfExists, writeFileAtomic } from './persistence.js'

export const NODE_KEY_FILE = 'node.key'

export async function loadOrCreateNodeKey (dataDir: string): Promise<PrivateKey> {
  const file = join(dataDir, NODE_KEY_FILE)
  const bytes = await readFileIfExists(file)
  if (bytes !== undefined) {
    let key: PrivateKey
    try {
      key = privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new FedlakeError(METADATA_ERRORS.METADATA_KEY_INVALID, `cannot read the node key ${file}: ${(err as Error).message}`, { file }, { cause: err })
    }
    if (key.type !== 'Ed25519') throw new FedlakeError(METADATA_ERRORS.METADATA_KEY_INVALID, `node key ${file} is ${key.type}, expected Ed25519`, { file })
    return key
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(file, privateKeyToProtobuf(key), 0o600)
  return key
}
