import type { EnvelopeOnError, Json } from '../model/index.js';

/** One job an envelope submission becomes. */
export interface EnvelopeEntry {
  workflow: string;
  fields?: Record<string, unknown>;
  /**
   * Entries (by index in the list `parse` returns) this one runs after; each must come earlier.
   * Leave it out on every entry to chain them in order; `[]` starts an entry at once.
   */
  after?: number[];
  site?: string;
  queue?: string;
  /** Where the entry came from in a file, for the problem a bad entry reports. */
  line?: number;
}

/** What `parse` is given: a JSON body's `data`, or an uploaded file's text. */
export type EnvelopeInput = { kind: 'json'; data: Json } | { kind: 'file'; name: string | null; contentType: string; text: string };

export interface EnvelopeConfig {
  /** Unique id used in the API and CLI: lowercase letters, digits, `-` and `.`. */
  name: string;
  label?: string;
  description?: string;
  /** Media types of the files it reads (`text/csv`, `application/json`…); a JSON body is always accepted. */
  accepts: string[];
  /** Turns the submission into jobs. Throw `EnvelopeInputError` to point at a line or field; any throw marks the envelope corrupt. */
  parse(input: EnvelopeInput): EnvelopeEntry[] | Promise<EnvelopeEntry[]>;
  /** When a member does not succeed: `stop` cancels the rest (default), `continue` runs them anyway. */
  onError?: EnvelopeOnError;
}

const BRAND = Symbol.for('switchyard.envelope');

export interface EnvelopeType extends EnvelopeConfig {
  readonly [BRAND]: true;
}

/** A corrupt submission, with the line (1-based) or field at fault when the parser knows it. */
export class EnvelopeInputError extends Error {
  readonly line?: number;
  readonly field?: string;
  constructor(message: string, where: { line?: number; field?: string } = {}) {
    super(message);
    this.name = 'EnvelopeInputError';
    if (where.line !== undefined) this.line = where.line;
    if (where.field !== undefined) this.field = where.field;
  }
}

const NAME = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/**
 * Declares an envelope type: how one submission (an uploaded file, a JSON body) becomes jobs
 * that run as a chain or a small graph and are watched and rolled back together. Export it
 * beside your workflows; `switchyard start --workflows FILE` registers both.
 */
export function defineEnvelope(config: EnvelopeConfig): EnvelopeType {
  if (!NAME.test(config.name)) throw new Error(`envelope type name "${config.name}" must be lowercase letters, digits, '-' or '.', at most 64 characters`);
  if (typeof config.parse !== 'function') throw new Error(`envelope type "${config.name}" has no parse function`);
  return Object.freeze({ ...config, accepts: [...config.accepts], [BRAND]: true as const });
}

export function isEnvelopeType(value: unknown): value is EnvelopeType {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Where in `text` a JSON.parse error message's position falls, as a line number (1-based). */
export function jsonErrorLine(text: string, message: string): number | undefined {
  const position = /position (\d+)/.exec(message);
  if (position) return text.slice(0, Number(position[1])).split('\n').length;
  const line = /line (\d+)/.exec(message);
  return line ? Number(line[1]) : undefined;
}

/**
 * The built-in type `jobs`: a JSON list of job submissions `[{ workflow, fields, site?, queue? }]`,
 * as a body's `data` (or `jobs`) or an uploaded `.json` file, chained in order.
 */
export const jobsEnvelope = defineEnvelope({
  name: 'jobs',
  label: 'Jobs, chained in order',
  description: 'A JSON list of job submissions [{ workflow, fields, site?, queue? }]; each starts when the one before it succeeded.',
  accepts: ['application/json'],
  onError: 'stop',
  parse(input) {
    let data: unknown;
    let lines: number[] = [];
    if (input.kind === 'file') {
      try {
        data = JSON.parse(input.text);
      } catch (error) {
        const message = (error as Error).message;
        throw new EnvelopeInputError(`not JSON: ${message}`, { line: jsonErrorLine(input.text, message) });
      }
      lines = entryLines(input.text);
    } else {
      data = input.data;
    }
    if (!Array.isArray(data)) throw new EnvelopeInputError('expected a JSON list of jobs: [{ "workflow": …, "fields": {…} }]');
    if (data.length === 0) throw new EnvelopeInputError('the list of jobs is empty');
    return data.map((entry, i): EnvelopeEntry => {
      const line = lines[i];
      const at = (field: string) => ({ field: `${i}.${field}`, ...(line ? { line } : {}) });
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new EnvelopeInputError(`entry ${i}: expected an object`, at(''));
      const { workflow, fields, site, queue, ...rest } = entry as Record<string, unknown>;
      const unknown = Object.keys(rest);
      if (unknown.length > 0) throw new EnvelopeInputError(`entry ${i}: unknown key "${unknown[0]}" (known: workflow, fields, site, queue)`, at(unknown[0]));
      if (typeof workflow !== 'string' || workflow === '') throw new EnvelopeInputError(`entry ${i}: workflow: expected a workflow name`, at('workflow'));
      if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
        throw new EnvelopeInputError(`entry ${i}: fields: expected an object`, at('fields'));
      }
      for (const [name, value] of [
        ['site', site],
        ['queue', queue],
      ] as const) {
        if (value !== undefined && typeof value !== 'string') throw new EnvelopeInputError(`entry ${i}: ${name}: expected a string`, at(name));
      }
      return {
        workflow,
        ...(fields === undefined ? {} : { fields: fields as Record<string, unknown> }),
        ...(site === undefined ? {} : { site: site as string }),
        ...(queue === undefined ? {} : { queue: queue as string }),
        ...(line ? { line } : {}),
      };
    });
  },
});

/** The line each top-level entry of a JSON list starts on (a light scan: strings and nesting). */
function entryLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line += 1;
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      if (depth === 1) lines.push(line);
      depth += 1;
    } else if (ch === ']' || ch === '}') depth -= 1;
  }
  return lines;
}
