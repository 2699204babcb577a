import { createHash } from 'node:crypto';
import pg from 'pg';
import { SwitchyardError } from '../../model/index.js';
import type { DbRow } from '../rows.js';

/**
 * What both a pool and one checked-out client can do: run a statement. `name` makes it a
 * prepared statement of the connection (see preparedClient); the others ignore it.
 */
export interface Queryable {
  query(text: string, values?: unknown[], name?: string): Promise<pg.QueryResult<DbRow>>;
}

export async function rows(db: Queryable, sql: string, params: unknown[] = []): Promise<DbRow[]> {
  return (await db.query(sql, params)).rows;
}

export async function firstRow(db: Queryable, sql: string, params: unknown[] = []): Promise<DbRow | undefined> {
  return (await db.query(sql, params)).rows[0];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A schema name as given, checked so that it can be spliced into SQL and connection options. */
export function validSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new SwitchyardError('SWY_ERR_VALIDATION', `schema: "${schema}" is not a plain identifier (letters, digits, _; at most 63)`, [
      { path: 'schema', message: 'letters, digits and _ only, not starting with a digit, at most 63 characters' },
    ]);
  }
  return schema;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * The NOTIFY channel for a schema: hubs sharing a schema share wake-ups, and tests in
 * different schemas never see each other's. Channel names are identifiers (63 bytes at most),
 * so a long schema name is shortened with a hash.
 */
export function channelFor(schema: string): string {
  const plain = `swy_${schema}`;
  if (plain.length <= 63) return plain;
  return `swy_${schema.slice(0, 38)}_${createHash('sha256').update(schema).digest('hex').slice(0, 20)}`;
}

// int8 (counts, ids, epoch-ms instants) and numeric (sums) as JS numbers. Every value this
// store keeps fits in 2^53; set per pool so that other users of `pg` in the process keep the
// driver's default of strings.
const INT8 = 20;
const NUMERIC = 1700;
const asNumber = (value: string) => Number(value);
const numericTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC ? asNumber : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PoolSettings {
  connectionString: string;
  schema: string;
  poolSize: number;
}

/**
 * The connection settings every connection of the store uses (pool and listener): the
 * schema goes in as the session's search_path at connect time, so no statement has to name it,
 * and JIT compilation is off.
 * An `options` parameter in the URL would replace ours, so it is merged in instead.
 */
export function connectionConfig(settings: PoolSettings): pg.ClientConfig {
  const [base, query] = splitQuery(settings.connectionString);
  const params = new URLSearchParams(query);
  const urlOptions = params.get('options');
  params.delete('options');
  const rest = params.toString();
  return {
    connectionString: rest ? `${base}?${rest}` : base,
    // JIT off: it compiles any statement whose estimated cost passes jit_above_cost, and an
    // estimate made without statistics (a table just filled) passes it easily: 560 ms of
    // compiling for a 12 ms read of a path filter. Every statement here is a short read or
    // write. A URL's options come after ours, so `options=-c jit=on` turns it back on.
    options: ['-c jit=off', urlOptions, `-c search_path=${quoteIdent(settings.schema)}`].filter(Boolean).join(' '),
    types: numericTypes,
    connectionTimeoutMillis: 10_000,
    application_name: 'switchyard',
  };
}

export function createPool(settings: PoolSettings): pg.Pool {
  // Pipelined: a statement issued while another is in flight on the same connection is sent at
  // once rather than after the answer (each still gets its own result or error, in order). The
  // ledger sends a transaction's last writes and its COMMIT so, in one round trip; a caller
  // that awaits each statement sees no difference.
  const pool = new pg.Pool({ ...connectionConfig(settings), max: settings.poolSize, pipeline: true });
  // An idle client whose connection drops emits here; without a listener the process would
  // crash. The pool has already discarded the client and the next checkout reconnects.
  pool.on('error', () => {});
  // The same while a client is checked out between statements: its next statement fails
  // instead, and the transaction that holds it maps that failure.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

function splitQuery(url: string): [string, string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

/** The URL without its password, for messages. */
export function describeLocation(connectionString: string): string {
  return splitQuery(connectionString)[0].replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
// invalid_catalog_name (no such database), invalid_authorization_specification, invalid_password.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '28000', '28P01']);
const DRIVER_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

/** Whether an error means the database cannot be reached, rather than a statement failing. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && DRIVER_MESSAGES.test(error.message);
}

/** Maps driver errors at the store edge: connection failures become SWY_ERR_STORE_UNAVAILABLE; the rest pass through. */
export function toStoreError(error: unknown, location: string): unknown {
  if (error instanceof SwitchyardError || !isConnectionError(error)) return error;
  const reason = error instanceof Error && error.message ? error.message : String((error as { code?: unknown }).code ?? error);
  const failure = new SwitchyardError('SWY_ERR_STORE_UNAVAILABLE', `PostgreSQL at ${location} is unavailable: ${reason}`);
  (failure as Error).cause = error;
  return failure;
}

/**
 * Failures worth running a whole verb again for: a deadlock or serialization failure, and a
 * concurrent submission of the same idempotency key (the retry finds that job and answers it).
 */
export function isRetryable(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  return code === '40P01' || code === '40001' || (code === '23505' && constraint === 'jobs_idempotency_key');
}

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which JSON, SQLite and JavaScript strings
 * allow: a log line or item path with a NUL in it would fail the whole batch. At this edge a
 * NUL becomes U+FFFD (the replacement character), in parameters and in JSON alike.
 */
const NUL = /\u0000/g;
const REPLACEMENT = '\uFFFD';

export function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replace(NUL, REPLACEMENT) : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  return value;
}

/** JSON text for a jsonb parameter, with NULs and lone surrogates in strings and keys replaced. */
export function pgJson(value: unknown): string {
  // A NUL in a string or key comes out of JSON.stringify as the escape \u0000, and a lone
  // UTF-16 surrogate (half a character: JavaScript strings allow it, UTF-8 cannot hold it) as
  // \ud800–\udfff; jsonb refuses both. Text without either has none to replace (the replacer
  // function costs several times the plain call).
  const plain = JSON.stringify(value);
  if (plain === undefined || !(plain.includes('\\u0000') || LONE_SURROGATE_ESCAPE.test(plain))) return plain;
  return JSON.stringify(value, function clean(_key, v: unknown) {
    if (typeof v === 'string') return jsonbText(v);
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => jsonbText(k) !== k)) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [jsonbText(k), inner]));
    }
    return v;
  });
}

const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string jsonb can hold: NULs and lone surrogates as U+FFFD. */
function jsonbText(text: string): string {
  return (withoutNul(text) as string).replace(LONE_SURROGATE, REPLACEMENT);
}

/**
 * An array parameter as PostgreSQL's array text (what the driver sends for an array, built
 * here in one pass: the batched writes send one per column): numbers and booleans as they
 * are, strings quoted with `"` and `\\` escaped, objects as JSON, null and undefined as NULL.
 */
export function pgArrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) {
      out += 'NULL';
    } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      out += String(value);
    } else {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      out += `"${text.includes('"') || text.includes('\\') ? text.replace(/["\\]/g, '\\$&') : text}"`;
    }
  }
  return `${out}}`;
}

/**
 * pgArrayLiteral for JSON texts made by pgJson (or null): JSON.stringify of such a text is its
 * quoted array element, since the text holds no control character and no lone surrogate
 * (JSON.stringify escapes the one and pgJson replaces the other), so `"` and `\\` are all it
 * escapes. Twice as fast as the general escape on JSON, whose every key is quoted.
 */
export function pgJsonArrayLiteral(texts: readonly (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < texts.length; i++) {
    if (i > 0) out += ',';
    const text = texts[i];
    out += text === null || text === undefined ? 'NULL' : JSON.stringify(text);
  }
  return `${out}}`;
}

/** A Queryable whose string parameters are NUL-free (see withoutNul); a statement's name goes through only where `db` takes it. */
export function nulSafe<Q extends Queryable>(db: Q): Queryable {
  return { query: (text, values, name) => (name === undefined ? db.query(text, values?.map(withoutNul)) : db.query(text, values?.map(withoutNul), name)) };
}

/**
 * One checked-out connection as a NUL-safe Queryable that runs a statement given a `name` as
 * a prepared statement of that connection: parsed and planned once per connection, then only
 * bound and run. Planning the ledger's joins cost more than running them (the lease's claim:
 * some 250 µs planned each time, 70 µs prepared). Only fixed texts may be named (see
 * statementName): every name stays prepared for the connection's life.
 */
export function preparedClient(client: pg.ClientBase): Queryable {
  return {
    query: (text, values, name) => client.query<DbRow>(name === undefined ? text : { name, text }, values?.map(withoutNul)),
  };
}

/**
 * A connection whose transaction begins with its first statement: `begin` (BEGIN and its SET
 * LOCALs) is sent with that statement in one round trip when its parameters are only numbers
 * and arrays of integers, written into its text (the simple query protocol runs several
 * statements at once; numbers cannot carry SQL), else just before it. `begin()` sends it if no
 * statement did. Only for a body that sends every statement through this object.
 */
export function beginningWith(client: Queryable, begin: string): Queryable & { begin(): Promise<void> } {
  let pending: string | null = begin;
  const withBegin = async (first: string, text: string, values: unknown[] | undefined, name: string | undefined) => {
    const inlined = withNumbersInline(text, values ?? []);
    if (inlined !== null) {
      const results = (await client.query(`${first}; ${inlined}`)) as unknown as pg.QueryResult<DbRow>[];
      return results[results.length - 1];
    }
    await client.query(first);
    return client.query(text, values, name);
  };
  return {
    // Once begun, a statement is handed to the connection before this returns, as by the
    // connection itself: statements issued one after another without awaiting go out in order.
    query(text, values, name) {
      if (pending === null) return client.query(text, values, name);
      const first = pending;
      pending = null;
      return withBegin(first, text, values, name);
    },
    async begin() {
      if (pending === null) return;
      const first = pending;
      pending = null;
      await client.query(first);
    },
  };
}

/** `text` with its parameters written in as literals, when every one is a finite number or an array of safe integers; else null. */
function withNumbersInline(text: string, values: unknown[]): string | null {
  const literals: string[] = [];
  for (const value of values) {
    // In parentheses: a negative number after a minus sign would otherwise start a comment (`--`).
    if (typeof value === 'number' && Number.isFinite(value)) literals.push(`(${value})`);
    else if (Array.isArray(value) && value.every((n) => Number.isSafeInteger(n))) literals.push(`'{${value.join(',')}}'`);
    else return null;
  }
  return literals.length === 0 ? text : text.replace(/\$(\d+)\b/g, (_, n: string) => literals[Number(n) - 1] ?? `$${n}`);
}

const statementNames = new Map<string, string>();

/** The prepared statement name of a fixed SQL text: the same on every connection and hub. */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `swy_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}
