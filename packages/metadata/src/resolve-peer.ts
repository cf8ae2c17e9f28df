/** Which peer id serves a node, for openStream callers that hold a node name or catalog entry. */
import { peerIdFromString } from '@libp2p/peer-id'
import type { NodeEntry } from './catalog.js'

/**
 * The peer id serving a node: a catalog entry's, or for a string the peer id of the node policy with that
 * name (undefined when no node or several different peers carry it), else the string itself when it
 * is a peer id.
 */
export function resolvePeerId (node: NodeEntry | string, nodes: () => readonly NodeEntry[]): string | undefined {
  if (typeof node !== 'string') return node.peerId
  const named = new Set(nodes().filter(n => n.name === node && n.peerId !== undefined).map(n => n.peerId as string))
  if (named.size === 1) return [...named][0]
  if (named.size > 1) return undefined
  try {
    return peerIdFromString(node).toString()
  } catch {
    return undefined
  }
}
