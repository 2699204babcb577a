/**
 * A schedule's timing in words, as the console and the CLI show it beside the cron expression:
 * "every day at 02:00, Europe/Paris", "every 5 minutes, UTC", "every 30 seconds". Pure; covers
 * the shapes people write (fixed times, steps, day-of-week and day-of-month lists) and falls
 * back to `cron "<expression>", <zone>` for anything else rather than guessing.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONTH_NAMES: Record<string, number> = Object.fromEntries(MONTHS.map((m, i) => [m.slice(0, 3).toLowerCase(), i + 1]));

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** The timing of a schedule in words; interval schedules have no zone to name. */
export function describeSchedule(timing: { cron: string | null; everyMs: number | null; timezone: string }): string {
  if (timing.everyMs !== null) return describeInterval(timing.everyMs);
  const cron = (timing.cron ?? '').trim();
  return `${describeCron(cron) ?? `cron "${cron}"`}, ${timing.timezone}`;
}

/** "every second", "every 90 seconds", "every 5 minutes", "every 2 hours", "every day". */
export function describeInterval(ms: number): string {
  const units: [number, string][] = [
    [7 * 86_400_000, 'week'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms % size === 0) return every(ms / size, unit);
  }
  return `every ${ms} ms`;
}

const every = (n: number, unit: string) => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);
const pad = (n: number) => String(n).padStart(2, '0');

/** Words for a cron expression, or null when it is not a shape this knows. */
function describeCron(expression: string): string | null {
  const expanded = ALIASES[expression.toLowerCase()] ?? expression;
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [sec, min, hour, dom, mon, dow] = parts.length === 6 ? parts : ['0', ...parts];
  const dayWords = describeDays(dom, mon, dow);
  if (dayWords === null) return null;

  // Steps on one unit with everything coarser free: "every 15 seconds", "every 5 minutes".
  const step = (field: string) => (field === '*' ? 1 : /^\*\/(\d+)$/.test(field) ? Number(field.slice(2)) : null);
  const anyDay = dayWords === 'every day';
  const sStep = step(sec);
  if (sStep !== null && min === '*' && hour === '*' && anyDay) return every(sStep, 'second');
  const mStep = step(min);
  if (sec === '0' && mStep !== null && hour === '*') return withDays(every(mStep, 'minute'), dayWords);
  const hStep = step(hour);
  if (sec === '0' && isNumber(min) && hStep !== null) {
    const at = Number(min) === 0 ? 'on the hour' : `at minute ${Number(min)}`;
    return withDays(`${every(hStep, 'hour')} ${at}`, dayWords);
  }

  // Fixed times: "every day at 02:00", "every Monday at 02:00 and 14:30".
  const secs = numbers(sec);
  const mins = numbers(min);
  const hours = numbers(hour);
  if (secs === null || mins === null || hours === null) return null;
  const times = hours.flatMap((h) => mins.flatMap((m) => secs.map((s) => `${pad(h)}:${pad(m)}${s === 0 ? '' : `:${pad(s)}`}`)));
  if (times.length > 6) return null;
  return `${dayWords} at ${joinWords(times)}`;
}

const withDays = (words: string, days: string) =>
  days === 'every day' ? words : `${words}, ${days.replace(/^every (weekday|weekend day)/, 'on $1s').replace(/^every /, 'on ')}`;

function isNumber(field: string): boolean {
  return /^\d+$/.test(field);
}

/** A comma list of plain numbers (no ranges or steps), or null. */
function numbers(field: string): number[] | null {
  if (!/^\d+(,\d+)*$/.test(field)) return null;
  return field.split(',').map(Number);
}

function describeDays(dom: string, mon: string, dow: string): string | null {
  const free = (f: string) => f === '*' || f === '?';
  const months = free(mon) ? null : listOf(mon, MONTH_NAMES, 1, 12)?.map((m) => MONTHS[m - 1]);
  if (months === undefined) return null;
  const inMonths = months ? ` in ${joinWords(months)}` : '';
  if (free(dom) && free(dow)) return months ? `every day${inMonths}` : 'every day';
  if (!free(dom) && free(dow)) {
    const days = listOf(dom, {}, 1, 31);
    if (!days) return null;
    return `on day ${joinWords(days.map(String))} of ${months ? joinWords(months) : 'every month'}`;
  }
  if (free(dom) && !free(dow)) {
    const days = listOf(dow, DAY_NAMES, 0, 7)?.map((d) => d % 7);
    if (!days) return null;
    const sorted = [...new Set(days)].sort((a, b) => a - b);
    if (sorted.join() === '1,2,3,4,5') return `every weekday (Monday to Friday)${inMonths}`;
    if (sorted.join() === '0,6') return `every weekend day${inMonths}`;
    return `every ${joinWords(sorted.map((d) => DAYS[d]))}${inMonths}`;
  }
  return null;
}

/** Values of a list of numbers, names and ranges (`1-5`, `mon-fri`, `1,15`), or null. */
function listOf(field: string, names: Record<string, number>, lo: number, hi: number): number[] | null {
  const value = (token: string): number | null => {
    const n = /^\d+$/.test(token) ? Number(token) : names[token.toLowerCase()];
    return n === undefined || n < lo || n > hi ? null : n;
  };
  const out: number[] = [];
  for (const part of field.split(',')) {
    const range = part.split('-');
    if (range.length === 1) {
      const n = value(part);
      if (n === null) return null;
      out.push(n);
    } else if (range.length === 2) {
      const [a, b] = range.map(value);
      if (a === null || b === null || a > b) return null;
      for (let n = a; n <= b; n++) out.push(n);
    } else {
      return null;
    }
  }
  return out;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
