// Parsers for the CLI's flags, used as commander `argParser`s: a bad value is refused while the
// command line is parsed, before a hub, store or worker starts, with one line naming the flag and
// what it accepts (commander prefixes "option '--port <port>' argument '70000' is invalid.");
// main.ts turns every such error into exit code 2, the usual code for a usage mistake.
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';

/** A whole number within [min, max], written in decimal ("12", "-3"; not "1e3", "0x10" or "12abc"). */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const n = Number(trimmed);
    if (!/^[-+]?\d+$/.test(trimmed) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Tasks run at once by one worker. */
export const parseConcurrency = integerIn(1, 1000);
/** TCP port to listen on; 0 asks the system for a free one. */
export const parsePort = integerIn(0, 65_535);
/** Task lease: at least a second (heartbeats need time), at most an hour (a dead worker's tasks come back within it). */
export const parseLeaseMs = integerIn(1000, 3_600_000);
/** Job priority, higher first: the API accepts -1000 to 1000. */
export const parsePriority = integerIn(-1000, 1000);
/** Retention of finished jobs, in days (up to 100 years). */
export const parseRetainDays = integerIn(1, 36_500);
/** A schedule's fixed interval, in milliseconds: a second to a year. */
export const parseEveryMs = integerIn(1000, 366 * 86_400_000);
/** A record's id as typed: decimal digits only ("1e3" and "0x10" are not ids, though Number reads them); null when it is none. */
export function decimalId(text: string): number | null {
  const trimmed = text.trim();
  const id = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** The id of a job, subscription, operation… named on the command line; refused in words naming what it should be. */
export function recordId(text: string, what: string): number {
  const id = decimalId(text);
  if (id === null) throw new Error(`"${text}" is not a ${what} id`);
  return id;
}

/** A schedule id (a usage mistake, exit 2, when it is none). */
export function parseScheduleId(value: string): number {
  const id = decimalId(value);
  if (id === null) throw new InvalidArgumentError(`schedule id: a positive whole number, not "${value}"`);
  return id;
}
/** How many missed slots catch-up `all` fires at most. */
export const parseCatchUpLimit = integerIn(1, 10_000);

/** One of a fixed set of words. */
export function oneOf(words: readonly string[]): (value: string) => string {
  return (value) => {
    if (!words.includes(value)) throw new InvalidArgumentError(`Expected one of ${words.join(', ')}.`);
    return value;
  };
}

/** Page size of a listing; the API answers at most 500 a page. */
export const parseLimit = integerIn(1, 500);

/**
 * A PostgreSQL connection URL. Any other scheme is refused: the store is chosen by the presence of
 * --db, and a mistyped or MySQL URL must not quietly fall back to the embedded SQLite store.
 */
export function parseDatabaseUrl(value: string): string {
  const url = parseUrl(value);
  if (!url || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') || !url.host) {
    throw new InvalidArgumentError('Expected a PostgreSQL URL: postgres://user@host:5432/database (or postgresql://…).');
  }
  return value;
}

/** The hub's base URL, http:// or https://. */
export function parseHubUrl(value: string): string {
  const url = parseUrl(value);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host) {
    throw new InvalidArgumentError('Expected an http:// or https:// URL, such as http://hub.example:4680.');
  }
  return value;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date or date-time between the years 2000 and 9999, answered as an ISO instant in UTC
 * (a date-time without a zone is local time, as JavaScript reads it). Impossible days (02-30) are refused.
 */
export function parseRunAt(value: string): string {
  const match = ISO_DATE.exec(value.trim());
  const ms = match ? Date.parse(value.trim()) : Number.NaN;
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const realDay = new Date(Date.UTC(year, month - 1, day));
  const valid = match && !Number.isNaN(ms) && year >= 2000 && year <= 9999 && realDay.getUTCMonth() === month - 1 && realDay.getUTCDate() === day;
  if (!valid) throw new InvalidArgumentError('Expected an ISO 8601 date or date-time from year 2000 to 9999, such as 2026-12-31T18:00:00Z.');
  return new Date(ms).toISOString();
}

/**
 * The first line of a token file, trimmed. The file must not be readable by group or others: a
 * token is a password, and the file exists so that it stays out of `ps` and shell history.
 */
export function parseTokenFile(path: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`Cannot read the token file: ${(error as Error).message}.`);
  }
  // POSIX permission bits only; Windows reports them loosely and guards files with ACLs instead.
  if (process.platform !== 'win32' && (mode & 0o044) !== 0) {
    throw new InvalidArgumentError(
      `The token file is readable by group or others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\` and try again.`,
    );
  }
  const token = text.split(/\r?\n/, 1)[0]!.trim();
  if (!token) throw new InvalidArgumentError('The token file is empty; put the token on its first line.');
  return token;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value.trim());
  } catch {
    return null;
  }
}

/** `--isolation thread|in-process`: where a worker runs handlers (start's local worker and `worker`). */
export function isolationOption(): Option {
  return new Option(
    '--isolation <mode>',
    'where handlers run: thread (a pool of worker threads; a crashing handler fails only its task) or in-process (trusted, latency-critical handlers)',
  )
    .choices(['thread', 'in-process'])
    .default('thread');
}
