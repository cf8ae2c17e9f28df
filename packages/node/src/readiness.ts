/**
 * Whether a node should receive traffic (Kubernetes' readiness): it has finished starting, its storage is open
 * (operator role), its metadata layer is up, and its network query executor exists (query role).
 */
import type { NodeServices } from './node-services.js'

export interface Readiness {
  readonly ready: boolean
  /** Each condition by name; only the ones that apply to the node's roles. */
  readonly checks: Readonly<Record<string, boolean>>
}

export function readinessOf (services: NodeServices): Readiness {
  const checks: Record<string, boolean> = {
    started: services.started(),
    metadata: services.metadata() !== undefined
  }
  if (services.operator !== undefined) checks.storage = services.operator.storage.isOpen()
  if (services.config.roles.includes('query')) checks.query = services.network() !== undefined
  return { ready: Object.values(checks).every(Boolean), checks }
}
