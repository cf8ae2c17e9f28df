/**
 * What a node's HTTP surfaces (Grafana's datasource, the console, metrics, MCP) may use of it. Getters, because the
 * metadata layer and the network executor exist only once the node has started.
 */
import type { NodeConfig } from '@fedlake/core'
import type { MetadataNode } from '@fedlake/metadata'
import type { OperatorRole, SubqueryCounts } from '@fedlake/operator'
import type { NetworkExecutor } from '@fedlake/query'
import type { CommandRouter } from './command-router.js'
import type { EventLoopMonitor } from './event-loop-monitor.js'

export interface NodeServices {
  readonly config: NodeConfig
  /** Runs EdgeLake commands as REST does (`router.execute(command, { method, headers, signal })`). */
  readonly router: CommandRouter
  /** Present on nodes with the operator role. */
  readonly operator?: OperatorRole
  /** The sub-queries this operator answers for query nodes: running now, and how the others ended. */
  subqueries?(): SubqueryCounts
  /** Present once the node runs its query role and its metadata layer is up. */
  network(): NetworkExecutor | undefined
  metadata(): MetadataNode | undefined
  /** True from the end of start() until stop() begins. */
  started(): boolean
  readonly eventLoop: EventLoopMonitor
}
