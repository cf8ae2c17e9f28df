/** Commands every node answers whatever its roles: `get status`, `help`. */
import type { CommandHandler } from '@fedlake/core'
import type { CommandRouter } from './command-router.js'

export function statusHandler (info: () => { name: string, address: string, roles: readonly string[] }): CommandHandler {
  return {
    words: ['get', 'status'],
    methods: ['GET'],
    usage: 'get status [where format = json]',
    async execute (command) {
      const { name, address, roles } = info()
      if (/format\s*=\s*json/i.test(command)) {
        return { kind: 'json', body: { assigned_name: name, status: 'running', roles: [...roles], profiling: false } }
      }
      return { kind: 'text', body: `${name}@${address} running\n` }
    }
  }
}

export function helpHandler (router: CommandRouter): CommandHandler {
  return {
    words: ['help'],
    methods: ['GET'],
    usage: 'help',
    async execute () {
      const rows = router.handlers().map(h => [h.usage, h.methods.join('/')] as const).sort((a, b) => a[0].localeCompare(b[0]))
      return { kind: 'table', columns: ['Command', 'Method'], rows }
    }
  }
}
