/**
 * Errors are values with stable codes. Each package declares its codes with `defineErrors`;
 * the registry is the single list that REST replies, logs and docs/errors.md are built from.
 * Codes are AREA_WHAT and are never renamed or reused.
 */
export interface ErrorSpec {
  /** HTTP status used when the error reaches a REST client. */
  readonly status: number
  /** EdgeLake's numeric err_code for compatible replies (reference/edgelake.md §1.8). */
  readonly edgelakeCode: number
  /** Generic text, EdgeLake's err_text where one exists. */
  readonly text: string
}

const registry = new Map<string, ErrorSpec>()

export function defineErrors<const T extends Record<string, ErrorSpec>> (specs: T): { readonly [K in keyof T]: K } {
  const codes: Record<string, string> = {}
  for (const [code, spec] of Object.entries(specs)) {
    const existing = registry.get(code)
    if (existing !== undefined && existing !== spec) throw new Error(`error code ${code} defined twice`)
    registry.set(code, spec)
    codes[code] = code
  }
  return Object.freeze(codes) as { readonly [K in keyof T]: K }
}

export function errorSpec (code: string): ErrorSpec {
  return registry.get(code) ?? INTERNAL_SPEC
}

export function registeredErrors (): ReadonlyMap<string, ErrorSpec> {
  return registry
}

export class FedlakeError extends Error {
  override readonly name = 'FedlakeError'
  readonly code: string
  readonly details: Readonly<Record<string, unknown>>

  constructor (code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.details = details
  }

  get spec (): ErrorSpec { return errorSpec(this.code) }

  toJSON (): { code: string, message: string, details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

export function isFedlakeError (err: unknown, code?: string): err is FedlakeError {
  return err instanceof Error && (err as { name?: string }).name === 'FedlakeError' &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (code === undefined || (err as FedlakeError).code === code)
}

/** Wraps anything thrown into a FedlakeError, keeping the original as `cause`. */
export function toFedlakeError (err: unknown, fallbackCode: string = CORE_ERRORS.INTERNAL): FedlakeError {
  if (isFedlakeError(err)) return err
  const message = err instanceof Error ? err.message : String(err)
  return new FedlakeError(fallbackCode, message, {}, { cause: err })
}

const INTERNAL_SPEC: ErrorSpec = { status: 500, edgelakeCode: 16, text: 'Internal error' }

export const CORE_ERRORS = defineErrors({
  INTERNAL: INTERNAL_SPEC,
  CONFIG_INVALID: { status: 400, edgelakeCode: 2, text: 'Invalid configuration' },
  COMMAND_UNKNOWN: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  COMMAND_SYNTAX: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  COMMAND_WRONG_METHOD: { status: 400, edgelakeCode: 156, text: 'Wrong HTTP method used' },
  SHUTTING_DOWN: { status: 503, edgelakeCode: 203, text: 'Node is shutting down' }
})
