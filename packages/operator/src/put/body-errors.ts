/** PUT_MALFORMED_BODY errors that point at a line and column of the body. */
import { FedlakeError } from '@fedlake/core'
import { PUT_ERRORS } from '../errors-storage.js'

export function malformed (reason: string, text: string, offset: number): FedlakeError {
  const { line, column } = lineColumn(text, offset)
  return new FedlakeError(PUT_ERRORS.PUT_MALFORMED_BODY, `malformed body at line ${line}, column ${column}: ${reason}`, { line, column })
}

function lineColumn (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  const end = Math.min(offset, text.length)
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) { line++; lineStart = i + 1 }
  }
  return { line, column: end - lineStart + 1 }
}
