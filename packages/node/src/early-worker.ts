/**
 * What `fedlake node` may start before it loads this package's index (and with it everything a node runs): the
 * operator's storage worker, so that DuckDB loads in it while the main thread loads the rest.
 */
export { startStorageWorkerEarly } from '@fedlake/operator/early-worker'
