import { z } from 'zod';
import { ItemOutcome, isCalendarDate, JobState, Role, TaskState } from '../model/index.js';

/**
 * Request schemas shared by the routes. Query lists accept `a,b` or repeated keys. Every
 * schema is strict about types and bounds so that a bad request is refused with the field
 * named, before anything is written.
 */
export const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => {
    if (value === undefined || value === '') return undefined;
    const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
    return parts.map((p) => p.trim()).filter(Boolean);
  }, z.array(item).max(100).optional());

/**
 * Text a filter searches for: no NUL, which no store keeps (PostgreSQL keeps U+FFFD in its
 * place), and which the search would drop, matching everything.
 */
export const searchText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000]*$/, 'no NUL characters')
    .optional();

/** A name (site, queue, workflow, worker…): no control characters, which no store keeps alike. */
export const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters');

/**
 * A name a new queue or site takes: besides `name`'s rules, no comma and no blank at either
 * end, since the list filters (`?queue=a,b`) split on commas and trim — such a name could
 * never be filtered on.
 */
export const listedName = name.regex(/^[^,]*$/, 'no commas (filters list names with them)').regex(/^\S(.*\S)?$/, 'no blank at either end');

/** Instants the API accepts: from 2000 to the end of 9999, which every store and Date can hold. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** An instant as ISO 8601 or epoch milliseconds. */
export const instant = z.union([z.number().int().nonnegative(), z.string().min(1)]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || (typeof value === 'string' && !isCalendarDate(value))) {
    ctx.addIssue({ code: 'custom', message: 'not a date: use ISO 8601 or epoch milliseconds' });
    return z.NEVER;
  }
  if (ms < EARLIEST || ms > LATEST) {
    ctx.addIssue({ code: 'custom', message: 'out of range: between 2000-01-01 and 9999-12-31' });
    return z.NEVER;
  }
  return ms;
});

const boolish = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

/**
 * A record's id in a path: decimal digits only. `z.coerce.number()` alone read "0x10" as 16 and
 * " 1" as 1, so one record answered to several paths.
 */
export const decimalId = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'a positive whole number in decimal digits')
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));
export const idParam = z.object({ id: decimalId });
export const nameParam = z.object({ name });
/** A name the call may create (PATCH /queues/:name): one the list filters can name. */
export const listedNameParam = z.object({ name: listedName });

export const JOB_SORT_KEYS = ['id', 'createdAt', 'startedAt', 'endedAt', 'updatedAt', 'state', 'workflow', 'creator', 'queue', 'site'] as const;

export const jobFilters = z.object({
  site: list(name),
  state: list(z.enum(JobState)),
  queue: list(name),
  workflow: list(name),
  creator: list(name),
  id: list(z.coerce.number().int().positive()),
  schedule: list(z.coerce.number().int().positive()),
  createdFrom: instant.optional(),
  createdTo: instant.optional(),
  hideNoop: boolish.optional(),
  q: searchText(200),
  sort: z
    .string()
    .regex(new RegExp(`^-?(${JOB_SORT_KEYS.join('|')})$`), `one of ${JOB_SORT_KEYS.join(', ')}, with - for descending`)
    .optional(),
});

export const pageQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const submitBody = z
  .object({
    workflow: name,
    fields: z.record(z.string(), z.unknown()).default({}),
    site: name.optional(),
    queue: listedName.optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    runAt: instant.optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  // A misspelt key must not be dropped silently.
  .strict();

export const taskQuery = pageQuery.extend({
  state: list(z.enum(TaskState)),
  type: list(name),
});

export const itemQuery = pageQuery.extend({
  status: z.enum(ItemOutcome).optional(),
  path: searchText(2000),
});

export const roleSchema = z.enum(Role);
/** A person's role: a worker is a token, never a user who signs in. */
export const userRoleSchema = z.enum(['viewer', 'operator', 'admin']);
export const sitesSchema = z
  .array(name)
  .min(1, 'name at least one site, or null for every site')
  .max(1000)
  // A site named twice is granted once.
  .transform((sites) => [...new Set(sites)])
  .nullable()
  .optional();
export const usernameSchema = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits and . _ @ - only, at most 64');

/** An e-mail address (notifications). */
export const emailSchema = z
  .string()
  .max(320)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/, 'an e-mail address');
