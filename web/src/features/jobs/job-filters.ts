import dayjs from 'dayjs';
import type { JobListQuery } from '../../api/job-queries.js';
import { isCalendarDate } from '../../domain.js';

/** The longest search text the jobs list takes (the API's `q`). */
export const MAX_SEARCH = 200;

export const AGE_PRESETS = {
  today: 'Today',
  week: 'Last 7 days',
  month: 'Last month',
  quarter: 'Last 3 months',
  year: 'Last year',
} as const;
export type AgePreset = keyof typeof AGE_PRESETS;

/**
 * The jobs view as the URL holds it, so that a filtered view can be shared and survives a
 * reload. Dates are days (YYYY-MM-DD) in the browser's time zone.
 */
export interface JobFilters {
  /** Null: Global, every site the user may see. */
  site: string | null;
  /** Job ids as typed: "12, 15". */
  ids: string;
  states: string[];
  workflows: string[];
  creators: string[];
  queues: string[];
  from: string | null;
  to: string | null;
  age: AgePreset | null;
  hideNoop: boolean;
  q: string;
  /** API sort key, `-` for descending; null is the default, newest first. */
  sort: string | null;
}

const list = (value: string | null) =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [];
const day = (value: string | null) => (value && /^\d{4}-\d{2}-\d{2}$/.test(value) && isCalendarDate(value) ? value : null);

export function parseFilters(params: URLSearchParams): JobFilters {
  const age = params.get('age');
  return {
    site: params.get('site') || null,
    ids: params.get('id') ?? '',
    states: list(params.get('state')),
    workflows: list(params.get('workflow')),
    creators: list(params.get('creator')),
    queues: list(params.get('queue')),
    from: day(params.get('from')),
    to: day(params.get('to')),
    age: age && age in AGE_PRESETS ? (age as AgePreset) : null,
    hideNoop: params.get('hideNoop') === '1',
    // As much as the API searches for: a longer text from a link is cut, not refused.
    q: (params.get('q') ?? '').slice(0, MAX_SEARCH),
    sort: params.get('sort') || null,
  };
}

export function filtersToParams(filters: JobFilters): URLSearchParams {
  const params = new URLSearchParams();
  const set = (key: string, value: string | null | undefined) => {
    if (value) params.set(key, value);
  };
  set('site', filters.site);
  set('id', filters.ids.trim());
  set('state', filters.states.join(','));
  set('workflow', filters.workflows.join(','));
  set('creator', filters.creators.join(','));
  set('queue', filters.queues.join(','));
  set('from', filters.from);
  set('to', filters.to);
  set('age', filters.age);
  set('hideNoop', filters.hideNoop ? '1' : null);
  set('q', filters.q.trim());
  set('sort', filters.sort);
  return params;
}

export const EMPTY_FILTERS: JobFilters = parseFilters(new URLSearchParams());

/** How many filters narrow the list (the site and the order are not filters). */
export function countFilters(f: JobFilters): number {
  return [
    parseIds(f.ids).length,
    f.states.length,
    f.workflows.length,
    f.creators.length,
    f.queues.length,
    f.from || f.to || f.age,
    f.hideNoop,
    f.q.trim(),
  ].filter(Boolean).length;
}

/** Ids typed in the id box; anything that is not a positive whole number is ignored (and named by notIds). */
export function parseIds(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter(isJobId)
    .map(Number);
}

/** What the id box holds that is not a job id, to say so beside it rather than filter by less than was asked. */
export function notIds(text: string): string[] {
  return text.split(/[\s,]+/).filter((part) => part !== '' && !isJobId(part));
}

function isJobId(part: string): boolean {
  return /^\d+$/.test(part) && Number(part) > 0 && Number.isSafeInteger(Number(part));
}

/** The API query for a view. `today` fixes the day relative presets count back from. */
export function toJobQuery(f: JobFilters, today = dayjs().startOf('day')): JobListQuery {
  let createdFrom = f.from ? dayjs(f.from).startOf('day').toISOString() : undefined;
  const createdTo = f.to ? dayjs(f.to).endOf('day').toISOString() : undefined;
  if (f.age) {
    const start =
      f.age === 'today' ? today : f.age === 'week' ? today.subtract(7, 'day') : today.subtract(f.age === 'month' ? 1 : f.age === 'quarter' ? 3 : 12, 'month');
    createdFrom = start.toISOString();
  }
  const ids = parseIds(f.ids);
  return {
    site: f.site ? [f.site] : undefined,
    id: ids.length > 0 ? ids : undefined,
    state: f.states.length > 0 ? f.states : undefined,
    workflow: f.workflows.length > 0 ? f.workflows : undefined,
    creator: f.creators.length > 0 ? f.creators : undefined,
    queue: f.queues.length > 0 ? f.queues : undefined,
    createdFrom,
    createdTo,
    hideNoop: f.hideNoop || undefined,
    q: f.q.trim() || undefined,
    sort: f.sort ?? undefined,
  };
}
