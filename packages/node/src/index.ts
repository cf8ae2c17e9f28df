/**
 * @packageDocumentation
 * @fedlake/node
 */
export {}
