import type { CliCommand } from '../command.js'

export const sqlCommand: CliCommand = {
  name: 'sql',
  summary: 'not yet available',
  help: 'fedlake sql: not yet available\n',
  async run () {
    process.stderr.write('fedlake sql: not yet available\n')
    return 1
  }
}
