import type { CliCommand } from '../command.js'

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'not yet available',
  help: 'fedlake demo: not yet available\n',
  async run () {
    process.stderr.write('fedlake demo: not yet available\n')
    return 1
  }
}
