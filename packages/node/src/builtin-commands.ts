/** Commands every node answers whatever its roles: `get status`, `help`. */
import type { CommandHandler, JsonValue } from '@fedlake/core'
import type { EventLoopMonitor } from './event-loop-monitor.js'
import type { CommandRouter } from './command-router.js'

export function statusHandler (info: () => { name: string, address: string, roles: readonly string[] }, eventLoop?: EventLoopMonitor): CommandHandler {
  return {
    words: ['get', 'status'],
    methods: ['GET'],
    usage: 'get status [where format = json]',
    async execute (command) {
      const { name, address, roles } = info()
      if (/format\s*=\s*json/i.test(command)) {
        const body: Record<string, JsonValue> = { assigned_name: name, status: 'running', roles: [...roles], profiling: false }
        // the main thread's event-loop delay since the previous `get status where format = json`
        if (eventLoop !== undefined) {
          const w = eventLoop.take()
          body.event_loop_delay_ms = { p50: w.p50Ms, p99: w.p99Ms, max: w.maxMs, window: w.sinceMs }
        }
        return { kind: 'json', body }
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
