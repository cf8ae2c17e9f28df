/** What tools hand back: text the model reads, or an error it can act on (MCP tool errors are results, not protocol errors). */
import { toFedlakeError } from '@fedlake/core'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'

export function textResult (text: string): CallToolResult {
  return { content: [{ type: 'text', text }] }
}

/** `CODE (EdgeLake err_code N, err_text): message` */
export function errorResult (err: unknown): CallToolResult {
  const fe = toFedlakeError(err)
  return { isError: true, content: [{ type: 'text', text: `${fe.code} (EdgeLake err_code ${fe.spec.edgelakeCode}, ${fe.spec.text}): ${fe.message}` }] }
}

/** Runs a tool body, turning a thrown error into an error result. */
export async function guarded (body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body()
  } catch (err) {
    return errorResult(err)
  }
}
