import type { FastifyReply, FastifyRequest } from 'fastify';
import { type FieldProblem, SwitchyardError } from '../model/index.js';

/** How deep a JSON value may nest: far beyond any real field set or result, well within every store's limits. */
export const MAX_JSON_DEPTH = 64;

/**
 * What no store can keep faithfully is stopped at the door, before validation, for every
 * route: strings with lone UTF-16 surrogates (PostgreSQL refuses them inside JSON) and values
 * nested deeper than MAX_JSON_DEPTH. A person's request is refused naming the field; a
 * worker's report is mended instead (surrogates become U+FFFD, deep parts a marker), because
 * refusing it would lose the task's real result.
 */
export async function guardInput(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const mend = request.routeOptions.config?.access === 'worker';
  for (const [part, value] of [
    ['body', request.body],
    ['query', request.query],
    ['params', request.params],
  ] as const) {
    if (value === undefined || value === null) continue;
    if (mend) {
      if (part === 'body') request.body = mended(value, 0);
      continue;
    }
    const problem = findProblem(value, part, 0);
    if (problem) throw new SwitchyardError('SWY_ERR_VALIDATION', `${problem.path}: ${problem.message}`, [problem]);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const wellFormed = (text: string) => !LONE_SURROGATE.test(text);
const toWellFormed = (text: string) => text.replace(LONE_SURROGATES, '\uFFFD');

function findProblem(value: unknown, path: string, depth: number): FieldProblem | null {
  if (typeof value === 'string') return wellFormed(value) ? null : { path, message: 'not valid Unicode text (a lone surrogate)' };
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  for (const [key, inner] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    if (typeof key === 'string' && !wellFormed(key)) return { path, message: 'a key is not valid Unicode text (a lone surrogate)' };
    const problem = findProblem(inner, `${path}.${key}`, depth + 1);
    if (problem) return problem;
  }
  return null;
}

function mended(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return wellFormed(value) ? value : toWellFormed(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return `[nested deeper than ${MAX_JSON_DEPTH} levels: cut]`;
  if (Array.isArray(value)) return value.map((inner) => mended(inner, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) copy[wellFormed(key) ? key : toWellFormed(key)] = mended(inner, depth + 1);
  return copy;
}
