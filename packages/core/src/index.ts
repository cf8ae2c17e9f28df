/**
 * @packageDocumentation
 * Contracts and small shared pieces every fedlake package uses: the error registry, structured
 * logging, the Startable lifecycle, the node configuration schema, shared types and the command
 * contract behind the REST API. No heavy dependencies.
 */
export * from './errors.js'
export * from './logger.js'
export * from './lifecycle.js'
export * from './types.js'
export * from './commands.js'
export * from './text-table.js'
export * from './config.js'
export * from './wait.js'
export * from './kubearmor.js'
export * from './slots.js'
export * from './frame-stream.js'
export * from './thread-pool.js'
