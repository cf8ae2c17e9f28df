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
  /** Where an in-memory database spills what does not fit in memoryLimit (DuckDB's own default is ./.tmp). */
  tempDirectory?: string
}

export function lockedDownOptions (tuning: DuckDbTuning = {}): Record<string, string> {
  // first: DuckDB refuses to set a temp directory once external access is off
  const options: Record<string, string> = {
    ...(tuning.tempDirectory !== undefined ? { temp_directory: tuning.tempDirectory } : {}),
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
