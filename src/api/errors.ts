import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ErrorCatalog, type ErrorCode, type FieldProblem, SwitchyardError } from '../model/index.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldProblem[] };
}

/**
 * The one place error codes become HTTP statuses and bodies. Every error answers
 * `{ error: { code, message, fields? } }`; unexpected errors are logged and answered as
 * SWY_ERR_INTERNAL without their details.
 */
export function errorReply(error: unknown, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof SwitchyardError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } } };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
    const fields: FieldProblem[] = error.validation.map((v) => ({
      path: [part === 'querystring' ? 'query' : part, ...pathOf(v.instancePath)].join('.'),
      message: v.message ?? 'invalid',
    }));
    return reply('SWY_ERR_VALIDATION', fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply('SWY_ERR_PAYLOAD_TOO_LARGE');
  // The router's own refusals (see frameworkErrors in server.ts): a path that is not valid
  // percent-encoded UTF-8, and a path parameter longer than the router's maxParamLength.
  if (fastifyError.code === 'FST_ERR_BAD_URL')
    return reply('SWY_ERR_VALIDATION', 'url: not valid percent-encoded UTF-8', [{ path: 'url', message: 'not valid percent-encoded UTF-8' }]);
  if (fastifyError.code === 'FST_ERR_MAX_PARAM_LENGTH') return reply('SWY_ERR_URL_TOO_LONG');
  if (fastifyError.code?.startsWith('FST_ERR_CTP_') || (fastifyError.statusCode === 400 && fastifyError.code?.startsWith('FST_'))) {
    return reply('SWY_ERR_VALIDATION', `body: ${fastifyError.message}`, [{ path: 'body', message: fastifyError.message }]);
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply('SWY_ERR_VALIDATION', fastifyError.message);
  }
  request.log.error({ err: error }, 'unexpected error');
  return reply('SWY_ERR_INTERNAL');
}

export function sendError(replyTo: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  const { status, body } = reply(code, message);
  return replyTo.code(status).send(body);
}

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a request line or
 * headers over Node's 16 KiB limit, a malformed request, a request that took too long) with the
 * same error body as every other refusal, then closes the connection as Node does.
 */
export function clientErrorReply(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'SWY_ERR_HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'SWY_ERR_REQUEST_TIMEOUT'
        : 'SWY_ERR_VALIDATION';
  const { status, body } = reply(code, code === 'SWY_ERR_VALIDATION' ? 'The request is not valid HTTP' : undefined);
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

function reply(code: ErrorCode, message?: string, fields?: FieldProblem[]): { status: number; body: ErrorBody } {
  return {
    status: ErrorCatalog[code].status,
    body: { error: { code, message: message ?? ErrorCatalog[code].message, ...(fields && fields.length > 0 ? { fields } : {}) } },
  };
}

function pathOf(instancePath: string): string[] {
  return instancePath.split('/').filter(Boolean);
}
