/**
 * Whether text that starts as an ISO 8601 date (YYYY-MM-DD) names a day of the calendar.
 * `Date.parse` rolls a day past its month's end over into the next month (2026-02-30 reads as
 * March 2nd), and a filter given such a day would quietly mean another. Text that does not
 * start with a date is not this check's business: true.
 */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return true;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last of this one (UTC: no daylight-saving edge).
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
