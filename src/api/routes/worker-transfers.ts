import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHA256 } from '../../engine/transfer-store.js';
import { SwitchyardError } from '../../model/index.js';
import type { ApiContext, App } from '../api-context.js';
import { errorReply } from '../errors.js';
import { decimalId } from '../schemas.js';

const TAG = { tags: ['worker protocol'] };
const blobParams = z.object({
  jobId: decimalId,
  sha256: z.string().regex(SHA256, 'a sha256: 64 lowercase hex digits'),
});
const byteCount = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const statusAnswer = z.object({ received: z.number(), complete: z.boolean() });

/** What a cut-off upload throws while its body is read: the sender went away, not the hub's fault. */
const CUT_OFF = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'ABORT_ERR', 'ECONNABORTED', 'EPIPE']);

/**
 * Transfers through the hub (see TransferStore and `ctx.transfer`): a worker uploads a file's
 * bytes as a blob named by its sha256, scoped to a job, and a worker at another site downloads
 * it. Worker (or admin) tokens only, and only for jobs that have a task at a site the token
 * serves (404 otherwise, as for a job it may not see).
 *
 * - `GET  /worker/transfers/:jobId/:sha256/status` → `{ received, complete }`: how much the hub holds.
 * - `PUT  /worker/transfers/:jobId/:sha256?size=N&offset=M`, body `application/octet-stream`:
 *   appends the bytes from `offset` (which must equal `received`, else 409 with `received`), at
 *   most 64 MiB per request and never past `size` (413). Once `size` bytes are in, the hub
 *   checks their sha256: a mismatch discards them (422).
 * - `GET  /worker/transfers/:jobId/:sha256` with an optional `Range: bytes=A-B` (one range):
 *   the complete blob's bytes (206 for a range; 416 for one outside it).
 */
export function transferRoutes(app: App, { engine }: ApiContext): void {
  app.register(async (scope) => {
    // Upload bodies are streamed by the handler, never parsed or buffered: every content type passes through unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const routes = scope as unknown as App;

    routes.get('/worker/transfers/:jobId/:sha256/status', {
      config: { access: 'worker' },
      schema: { ...TAG, summary: 'How much of a transfer blob the hub holds', params: blobParams, response: { 200: statusAnswer } },
      handler: async (request) => engine.workerPort(request.actor).transferStatus(request.params),
    });

    routes.put('/worker/transfers/:jobId/:sha256', {
      config: { access: 'worker' },
      schema: {
        ...TAG,
        summary: 'Upload (the rest of) a transfer blob, from `offset`',
        params: blobParams,
        querystring: z.object({ size: byteCount, offset: byteCount.default(0) }),
        response: { 200: statusAnswer },
      },
      handler: async (request, reply) => {
        const abort = new AbortController();
        request.raw.once('close', () => {
          if (!request.raw.complete) abort.abort();
        });
        try {
          return await engine.workerPort(request.actor).transferUpload({
            ...request.params,
            ...request.query,
            body: request.raw,
            signal: abort.signal,
          });
        } catch (error) {
          if (error instanceof SwitchyardError && error.code === 'SWY_ERR_TRANSFER_OFFSET') {
            return refuse(reply, request, error, { received: (error as SwitchyardError & { received?: number }).received ?? 0 });
          }
          if (!(error instanceof SwitchyardError) && CUT_OFF.has((error as NodeJS.ErrnoException).code ?? (error as Error).name)) {
            throw new SwitchyardError('SWY_ERR_VALIDATION', 'The upload was cut off before its end; ask for the status and send the rest');
          }
          throw error;
        }
      },
    });

    routes.get('/worker/transfers/:jobId/:sha256', {
      config: { access: 'worker' },
      schema: { ...TAG, summary: 'Download a complete transfer blob (one Range allowed)', params: blobParams },
      handler: async (request, reply) => {
        const port = engine.workerPort(request.actor);
        const header = request.headers.range;
        let range: { offset: number; end?: number } | null = null;
        if (header !== undefined) {
          const { size } = await port.transferStatus(request.params).then((status) => ({ size: status.complete ? status.received : null }));
          if (size === null) throw new SwitchyardError('SWY_ERR_TRANSFER_NOT_FOUND');
          range = parseRange(header, size);
          if (!range) {
            reply.header('content-range', `bytes */${size}`);
            throw new SwitchyardError('SWY_ERR_TRANSFER_RANGE', `The blob has ${size} bytes; "${String(header).slice(0, 100)}" is not one range within it`);
          }
        }
        const abort = new AbortController();
        request.raw.once('close', () => abort.abort());
        const answer = await port.transferDownload({ ...request.params, ...(range ?? {}), signal: abort.signal });
        const length = answer.end - answer.offset + 1;
        reply.header('content-type', 'application/octet-stream').header('content-length', String(length)).header('accept-ranges', 'bytes');
        if (range) reply.code(206).header('content-range', `bytes ${answer.offset}-${answer.end}/${answer.size}`);
        const body = answer.body instanceof Readable ? answer.body : Readable.from(answer.body);
        // An aborted download is the client's going: nothing to report.
        body.on('error', () => {});
        return reply.send(body);
      },
    });
  });
}

/**
 * One byte range of a blob of `size` bytes (RFC 9110): `bytes=A-`, `bytes=A-B` (B past the end
 * is cut to it) or `bytes=-N` (the last N). Null for anything else: several ranges, a range
 * starting past the end, text that is not a range.
 */
export function parseRange(header: string | string[], size: number): { offset: number; end: number } | null {
  if (typeof header !== 'string' || header.length > 100) return null;
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const last = Number(match[2]);
    if (last === 0 || size === 0) return null;
    return { offset: Math.max(0, size - last), end: size - 1 };
  }
  const offset = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (offset >= size || end < offset) return null;
  return { offset, end };
}

function refuse(reply: FastifyReply, request: FastifyRequest, error: SwitchyardError, extra: object) {
  const { status, body } = errorReply(error, request);
  return reply.code(status).send({ ...body, ...extra });
}
