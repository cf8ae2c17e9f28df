/**
 * @packageDocumentation
 * @fedlake/operator
 */
export {}
