import type { Json } from '../../model/index.js';

/** What a notification says about a job that ended: a snapshot taken when the event was read. */
export interface JobEndSummary {
  jobId: number;
  workflow: string;
  site: string;
  queue: string;
  creator: string;
  state: string;
  reason: string | null;
  endedAt: number;
  taskCounts: Record<string, number>;
  itemCounts: Record<string, number>;
  /** The job's page in the console; null when the hub's public URL is unknown. */
  link: string | null;
  /** Every site of a job that spans sites (its own first); absent for a job at one site. */
  sites?: string[];
}

export function summaryFromPayload(payload: Record<string, Json>): JobEndSummary {
  return payload as unknown as JobEndSummary;
}

const STATE_WORDS: Record<string, string> = {
  success: 'succeeded',
  error: 'completed with errors',
  failure: 'failed',
  cancelled: 'was cancelled',
  skipped: 'had nothing to do',
  unknown: 'ended in an unknown state',
};

export function subjectOf(s: JobEndSummary): string {
  return `[Switchyard] Job #${s.jobId} ${s.workflow} ${STATE_WORDS[s.state] ?? s.state} at ${s.site}`;
}

const countsText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

/** The plain-text body. */
export function textOf(s: JobEndSummary): string {
  const lines = [
    `Job #${s.jobId} (${s.workflow}) ${STATE_WORDS[s.state] ?? s.state}.`,
    '',
    `Site: ${s.site}`,
    `Queue: ${s.queue}`,
    `Submitted by: ${s.creator}`,
    `Ended: ${new Date(s.endedAt).toISOString()}`,
    `Tasks: ${countsText(s.taskCounts)}`,
    `Items: ${countsText(s.itemCounts)}`,
  ];
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  if (s.link) lines.push('', s.link);
  return `${lines.join('\n')}\n`;
}

/** Job fields, reasons and paths are text: escaped, never markup. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML body: the same facts as the text, every value escaped. */
export function htmlOf(s: JobEndSummary): string {
  const row = (label: string, value: string) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
  const rows = [
    row('Site', s.site),
    row('Queue', s.queue),
    row('Submitted by', s.creator),
    row('Ended', new Date(s.endedAt).toISOString()),
    row('Tasks', countsText(s.taskCounts)),
    row('Items', countsText(s.itemCounts)),
  ];
  if (s.reason) rows.push(row('Reason', s.reason));
  const link = s.link ? `<p><a href="${escapeHtml(s.link)}">Open job #${s.jobId}</a></p>` : '';
  return `<p>Job #${s.jobId} (${escapeHtml(s.workflow)}) ${escapeHtml(STATE_WORDS[s.state] ?? s.state)}.</p><table>${rows.join('')}</table>${link}`;
}
