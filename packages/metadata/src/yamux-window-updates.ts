/**
 * Window updates when half the receive window is used, not after every data frame.
 *
 * `@chainsafe/libp2p-yamux` (8.x) answers every data frame it receives with a window update frame, so every
 * small message (a liveness frame each second per peer, each batch of a sub-query's answer) costs a second
 * frame back: its own noise encryption, socket write, and read and decryption on the other side. Idle nodes
 * spend most of their CPU on such frames. Go's yamux (hashicorp/yamux, `sendWindowUpdate`) sends an update only
 * once the unannounced window reaches half of the maximum; this applies that rule to the JavaScript streams.
 *
 * Safe for flow control: the receiver's capacity is the sender's remaining send window (both count granted
 * minus sent), so a sender with nothing announced back still has at least half a window to send into, and the
 * update arrives before it runs out. Updates that carry flags (SYN/ACK on a new stream), a resume after a pause,
 * and every update once half the window is used go out as before.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

/** The fields of YamuxStream (private in its types) this rule reads. */
interface YamuxWindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

const PATCHED = Symbol.for('fedlake.yamuxHalfWindowUpdates')

interface PatchablePrototype {
  sendWindowUpdate: (this: YamuxWindowState) => void
  [PATCHED]?: true
}

/** True when a window update would announce less than half the window and carry no flags. */
export function windowUpdateCanWait (stream: YamuxWindowState): boolean {
  return stream.state === StreamState.Established && stream.recvWindowCapacity >= stream.recvWindow / 2
}

/** Applies the half-window rule to every yamux stream of this process (once; later calls do nothing). */
export function useHalfWindowUpdates (): void {
  const proto = YamuxStream.prototype as unknown as PatchablePrototype
  if (proto[PATCHED] === true) return
  const sendWindowUpdate = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: YamuxWindowState) {
    if (windowUpdateCanWait(this)) return
    sendWindowUpdate.call(this)
  }
  proto[PATCHED] = true
}
