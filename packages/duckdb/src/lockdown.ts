/**
 * DuckDB configuration every database is opened with (design §3.4). Set at open time, so it holds for
 * every connection: SQL cannot read or write files (read_csv, COPY, ATTACH of a file, EXPORT, INSTALL),
 * cannot load extensions beyond the statically linked ones, and cannot change any setting afterwards
 * (`lock_configuration`), including these. Verified by test/storage-security.test.ts.
 */
export interface DuckDbTuning {
  threads?: number
  memoryLimit?: string
  checkpointThreshold?: string
}

export function lockedDownOptions (tuning: DuckDbTuning = {}): Record<string, string> {
  const options: Record<string, string> = {
    enable_external_access: 'false',
    autoload_known_extensions: 'false',
    autoinstall_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false'
  }
  if (tuning.threads !== undefined) options.threads = String(tuning.threads)
  if (tuning.memoryLimit !== undefined) options.memory_limit = tuning.memoryLimit
  if (tuning.checkpointThreshold !== undefined) options.checkpoint_threshold = tuning.checkpointThreshold
  // Last, so nothing above is refused: DuckDB applies the options in one go at open time.
  options.lock_configuration = 'true'
  return options
}
