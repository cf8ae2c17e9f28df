/**
 * @packageDocumentation
 * @fedlake/kubearmor-sim: a faithful simulator of KubeArmor's feeder.LogService (daemon or relay)
 * for demos, tests and benchmarks, and the realistic event generator behind it.
 * Behaviour contract: docs/kubearmor-simulator.md.
 */
export { createKubeArmorSimulator } from './simulator.js'
export type {
  AbortCode, HealthMode, KubeArmorSimulator, SimulatedEvent, SimulatedEventListener, SimulatorInit, SimulatorProfile, SimulatorStats, StreamStats
} from './simulator.js'
export type { SubscriberStats } from './fanout.js'
export type { SimulatorTls, TlsMode } from './tls.js'
export { createEventGenerator } from './generator.js'
export type { EventGenerator, EventGeneratorInit, GeneratedEvent, StreamMix } from './generator.js'
export type { SimNode, SimPod, SimProcess, Topology } from './topology.js'
export { encodeEvent } from './wire.js'
export { decodeEvent, logServiceDefinition } from './proto.js'
export { toGoJson } from './go-json.js'
export { deriveEventData, parseDataString } from './event-data.js'
export { formatUpdatedTime, wallClock } from './clock.js'
export type { Clock } from './clock.js'
export type { Seed } from './random.js'
export { SIM_ERRORS } from './errors.js'
