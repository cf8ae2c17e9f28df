/**
 * @packageDocumentation
 * The `fedlake` command line: `node`, `demo`, `kubearmor-sim`, `client`, `sql`.
 */
export { main, usage } from './main.js'
export { parseReadyLine } from './ready-line.js'
export { prepareDemoDir } from './demo/data-dir.js'
export type { DemoDirResult } from './demo/data-dir.js'
export { parseKubearmorSimArgs } from './commands/kubearmor-sim-args.js'
export type { CliCommand } from './command.js'
