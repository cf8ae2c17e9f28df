/** One `fedlake <name>` subcommand. `run` resolves to the process exit code. */
export interface CliCommand {
  readonly name: string
  readonly summary: string
  /** Full `--help` text. */
  readonly help: string
  run(argv: string[]): Promise<number>
}

export class UsageError extends Error {
  override readonly name = 'UsageError'
}
