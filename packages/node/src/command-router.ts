/**
 * Finds the handler for an EdgeLake command by its leading words (longest match wins) and
 * enforces EdgeLake's GET/POST rule for it (reference/edgelake.md §1.4).
 */
import { CORE_ERRORS, FedlakeError, commandWords } from '@fedlake/core'
import type { CommandContext, CommandHandler, CommandReply } from '@fedlake/core'

export interface CommandRouter {
  register(handlers: readonly CommandHandler[]): void
  resolve(command: string): CommandHandler | undefined
  execute(command: string, ctx: CommandContext): Promise<CommandReply>
  handlers(): readonly CommandHandler[]
}

export function createCommandRouter (initial: readonly CommandHandler[] = []): CommandRouter {
  const handlers: CommandHandler[] = []

  const router: CommandRouter = {
    register (more) {
      for (const h of more) {
        const key = h.words.join(' ')
        if (handlers.some(existing => existing.words.join(' ') === key)) throw new Error(`command '${key}' registered twice`)
        handlers.push(h)
      }
      handlers.sort((a, b) => b.words.length - a.words.length)
    },
    resolve (command) {
      const words = commandWords(command.trim()).map(w => w.toLowerCase())
      return handlers.find(h => h.words.length <= words.length && h.words.every((w, i) => words[i] === w))
    },
    async execute (command, ctx) {
      const handler = router.resolve(command)
      if (handler === undefined) {
        throw new FedlakeError(CORE_ERRORS.COMMAND_UNKNOWN, `unknown command: ${command.trim().split(/\s+/).slice(0, 3).join(' ')}`, {
          known: handlers.map(h => h.words.join(' '))
        })
      }
      if (!handler.methods.includes(ctx.method)) {
        throw new FedlakeError(CORE_ERRORS.COMMAND_WRONG_METHOD, `'${handler.words.join(' ')}' must be sent with ${handler.methods.join(' or ')}`)
      }
      return await handler.execute(command.trim(), ctx)
    },
    handlers: () => handlers
  }
  router.register(initial)
  return router
}
