/**
 * @packageDocumentation
 * @fedlake/kubearmor-sim
 */
export {}
