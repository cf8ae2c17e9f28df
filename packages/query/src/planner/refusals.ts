/** The planner's errors: a construct it cannot yet answer exactly, or a bad increments()/period() argument. */
import { FedlakeError } from '@fedlake/core'
import { QUERY_ERRORS } from '../errors.js'

/** `<construct> is not yet supported over the network[: why]`. */
export function unsupported (construct: string, why?: string): FedlakeError {
  return new FedlakeError(QUERY_ERRORS.PLAN_UNSUPPORTED, `${construct} is not yet supported over the network${why === undefined ? '' : `: ${why}`}`, { construct })
}

export function invalidArgument (message: string, details: Record<string, unknown> = {}): FedlakeError {
  return new FedlakeError(QUERY_ERRORS.PLAN_INVALID_ARGUMENT, message, details)
}
