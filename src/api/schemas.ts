import { z } from 'zod';
import { ITEM_OUTCOMES, JOB_STATES, ROLES, TASK_STATES } from '../model/index.js';

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

const name = z.string().min(1).max(200);

/** An instant as ISO 8601 or epoch milliseconds. */
export const instant = z.union([z.number().int().nonnegative(), z.string().min(1)]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'not a date: use ISO 8601 or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const boolish = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());

export const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
export const nameParam = z.object({ name });

export const JOB_SORT_KEYS = ['id', 'createdAt', 'startedAt', 'endedAt', 'updatedAt', 'state', 'workflow', 'creator', 'queue', 'site'] as const;

export const jobFilters = z.object({
  site: list(name),
  state: list(z.enum(JOB_STATES as [string, ...string[]])),
  queue: list(name),
  workflow: list(name),
  creator: list(name),
  id: list(z.coerce.number().int().positive()),
  createdFrom: instant.optional(),
  createdTo: instant.optional(),
  hideNoop: boolish.optional(),
  q: z.string().max(200).optional(),
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
    queue: name.optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    runAt: instant.optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  // A misspelt key must not be dropped silently.
  .strict();

export const taskQuery = pageQuery.extend({
  state: list(z.enum(TASK_STATES as [string, ...string[]])),
  type: list(name),
});

export const itemQuery = pageQuery.extend({
  status: z.enum(ITEM_OUTCOMES as [string, ...string[]]).optional(),
  path: z.string().max(2000).optional(),
});

export const roleSchema = z.enum(ROLES as [string, ...string[]]);
export const sitesSchema = z.array(name).max(1000).nullable().optional();
