import type { CliCommand } from '../command.js'

export const nodeCommand: CliCommand = {
  name: 'node',
  summary: 'not yet available',
  help: 'fedlake node: not yet available\n',
  async run () {
    process.stderr.write('fedlake node: not yet available\n')
    return 1
  }
}
