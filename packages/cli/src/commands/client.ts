import type { CliCommand } from '../command.js'

export const clientCommand: CliCommand = {
  name: 'client',
  summary: 'not yet available',
  help: 'fedlake client: not yet available\n',
  async run () {
    process.stderr.write('fedlake client: not yet available\n')
    return 1
  }
}
