/**
 * The browser console at `/ui`: static files from packages/node/ui (plain ES modules, no build step, nothing
 * fetched from elsewhere at run time: edge sites are often offline). The page talks to the node with the
 * same REST commands as curl, so these routes serve files only and carry no data.
 *
 * The files are read once, when the routes are registered; each is served with a strong ETag and
 * `Cache-Control: no-cache` (the browser keeps it and revalidates, a 304 when the node's files did not change,
 * so a node upgrade is seen at the next load) and the console's Content-Security-Policy.
 *
 * Authentication (docs/console.md): these routes serve no data and stay open, so the page loads on a node
 * that requires a bearer token; the page asks for the token and sends it on its REST calls.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RestPlugin } from './rest-app.js'

export const UI_DIRECTORY = fileURLToPath(new URL('../../ui/', import.meta.url))

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/**
 * Scripts and styles only from the node itself, no inline script, no eval: text from events (process names,
 * pod names) can never run even if it reached the DOM as markup. connect-src allows other http(s) origins
 * because the console reads `get grpc client` from each operator's REST address straight from the browser;
 * listing those origins would grow the header with the network (thousands of operators) and go stale as nodes
 * join.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

interface UiFile {
  readonly body: Buffer
  readonly contentType: string
  readonly etag: string
}

/** Every servable file of the directory by name (no sub-directories: a request can only name one of these). */
export function readUiFiles (directory: string = UI_DIRECTORY): ReadonlyMap<string, UiFile> {
  const files = new Map<string, UiFile>()
  for (const name of readdirSync(directory).sort()) {
    const contentType = CONTENT_TYPES[extname(name)]
    if (contentType === undefined) continue
    const body = readFileSync(join(directory, name))
    files.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
  if (!files.has('index.html')) throw new Error(`the console's index.html is missing from ${directory}`)
  return files
}

/** `GET /ui` (the page), `GET /ui/<file>` (its scripts and styles); `/ui/` redirects to `/ui`. */
export function uiRoutes (directory: string = UI_DIRECTORY): RestPlugin {
  const files = readUiFiles(directory)
  const send = async (req: FastifyRequest, reply: FastifyReply, file: UiFile): Promise<FastifyReply> => {
    reply.headers({
      'content-security-policy': UI_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
      etag: file.etag
    })
    if (ifNoneMatch(req.headers['if-none-match'], file.etag)) return await reply.code(304).send()
    return await reply.code(200).type(file.contentType).send(file.body)
  }
  return app => {
    app.get('/ui', async (req, reply) => await send(req, reply, files.get('index.html') as UiFile))
    // relative links in the page resolve against /ui (so the console also works behind a path prefix)
    app.get('/ui/', async (_req, reply) => await reply.code(308).header('location', '../ui').send())
    app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
      const file = files.get(req.params.file)
      if (file === undefined || req.params.file === 'index.html') {
        return await reply.code(404).type('text/plain; charset=utf-8').send(`no console file ${req.params.file}`)
      }
      return await send(req, reply, file)
    })
  }
}

function ifNoneMatch (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some(tag => { const t = tag.trim().replace(/^W\//, ''); return t === etag || t === '*' })
}
