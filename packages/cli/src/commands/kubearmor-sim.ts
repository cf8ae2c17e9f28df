import type { CliCommand } from '../command.js'

export const kubearmorSimCommand: CliCommand = {
  name: 'kubearmor-sim',
  summary: 'not yet available',
  help: 'fedlake kubearmor-sim: not yet available\n',
  async run () {
    process.stderr.write('fedlake kubearmor-sim: not yet available\n')
    return 1
  }
}
