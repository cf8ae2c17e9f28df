/**
 * @packageDocumentation
 * @fedlake/metadata
 */
export {}
