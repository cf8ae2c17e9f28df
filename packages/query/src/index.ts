/**
 * @packageDocumentation
 * @fedlake/query
 */
export {}
