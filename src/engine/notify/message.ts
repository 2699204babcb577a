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
  /** The schedule that fired the job, when one did. */
  schedule?: { id: number; name: string };
}

/** What a notification says about an envelope that ended: a snapshot taken when the event was read. */
export interface EnvelopeEndSummary {
  kind: 'envelope';
  envelopeId: number;
  type: string;
  site: string;
  queue: string;
  creator: string;
  status: string;
  reason: string | null;
  endedAt: number;
  /** Member jobs by state; `done` of them ended, of `totalJobs`. */
  jobCounts: Record<string, number>;
  done: number;
  totalJobs: number;
  /** The envelope's page in the console; null when the hub's public URL is unknown. */
  link: string | null;
}

export function isEnvelopePayload(payload: Record<string, Json>): boolean {
  return payload.kind === 'envelope';
}

export function envelopeSummaryFromPayload(payload: Record<string, Json>): EnvelopeEndSummary {
  return payload as unknown as EnvelopeEndSummary;
}

const ENVELOPE_WORDS: Record<string, string> = {
  success: 'succeeded',
  errors: 'ended with errors',
  corrupt: 'was corrupt',
  cancelled: 'was cancelled',
  'rolled-back': 'was rolled back',
};

export function envelopeSubjectOf(s: EnvelopeEndSummary): string {
  return `[Switchyard] Envelope #${s.envelopeId} ${s.type} ${ENVELOPE_WORDS[s.status] ?? s.status} at ${s.site}`;
}

const membersText = (s: EnvelopeEndSummary) => `${s.done}/${s.totalJobs} done (${countsText(s.jobCounts)})`;

/** The plain-text body of an envelope's end. */
export function envelopeTextOf(s: EnvelopeEndSummary): string {
  const lines = [
    `Envelope #${s.envelopeId} (${s.type}) ${ENVELOPE_WORDS[s.status] ?? s.status}.`,
    '',
    `Status: ${s.status}`,
    `Site: ${s.site}`,
    `Queue: ${s.queue}`,
    `Submitted by: ${s.creator}`,
    `Ended: ${new Date(s.endedAt).toISOString()}`,
    `Jobs: ${membersText(s)}`,
  ];
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  if (s.link) lines.push('', s.link);
  return `${lines.join('\n')}\n`;
}

/** The HTML body of an envelope's end: the same facts as the text, every value escaped. */
export function envelopeHtmlOf(s: EnvelopeEndSummary): string {
  const row = (label: string, value: string) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
  const rows = [
    row('Status', s.status),
    row('Site', s.site),
    row('Queue', s.queue),
    row('Submitted by', s.creator),
    row('Ended', new Date(s.endedAt).toISOString()),
    row('Jobs', membersText(s)),
  ];
  if (s.reason) rows.push(row('Reason', s.reason));
  const link = s.link ? `<p><a href="${escapeHtml(s.link)}">Open envelope #${s.envelopeId}</a></p>` : '';
  return `<p>Envelope #${s.envelopeId} (${escapeHtml(s.type)}) ${escapeHtml(ENVELOPE_WORDS[s.status] ?? s.status)}.</p><table>${rows.join('')}</table>${link}`;
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
  if (s.schedule) lines.push(`Schedule: ${s.schedule.name}`);
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
  if (s.schedule) rows.push(row('Schedule', s.schedule.name));
  if (s.reason) rows.push(row('Reason', s.reason));
  const link = s.link ? `<p><a href="${escapeHtml(s.link)}">Open job #${s.jobId}</a></p>` : '';
  return `<p>Job #${s.jobId} (${escapeHtml(s.workflow)}) ${escapeHtml(STATE_WORDS[s.state] ?? s.state)}.</p><table>${rows.join('')}</table>${link}`;
}

const CADENCE_WORDS = { hourly: 'Hourly', daily: 'Daily', immediate: 'Immediate' } as const;

/** Jobs of a digest by site, then by end state, in a stable order (sites and states by name). */
function bySiteAndState(summaries: JobEndSummary[]): [string, [string, JobEndSummary[]][]][] {
  const sites = new Map<string, Map<string, JobEndSummary[]>>();
  for (const s of summaries) {
    const states = sites.get(s.site) ?? new Map<string, JobEndSummary[]>();
    sites.set(s.site, states);
    states.set(s.state, [...(states.get(s.state) ?? []), s]);
  }
  return [...sites.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([site, states]) => [site, [...states.entries()].sort(([a], [b]) => a.localeCompare(b))]);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function digestSubjectOf(summaries: JobEndSummary[], cadence: keyof typeof CADENCE_WORDS): string {
  const failed = summaries.filter((s) => s.state === 'failure').length;
  const sites = [...new Set(summaries.map((s) => s.site))].sort();
  const where = sites.length === 1 ? ` at ${sites[0]}` : ` at ${sites.length} sites`;
  const tail = failed > 0 ? `, ${failed} failed` : '';
  return `[Switchyard] ${CADENCE_WORDS[cadence]} digest: ${plural(summaries.length, 'job')} ended${where}${tail}`;
}

const jobLine = (s: JobEndSummary) => `#${s.jobId} ${s.workflow}${s.reason ? ` — ${s.reason}` : ''}${s.link ? ` ${s.link}` : ''}`;

/** The plain-text digest: jobs grouped by site and end state. */
export function digestTextOf(summaries: JobEndSummary[], cadence: keyof typeof CADENCE_WORDS): string {
  const lines = [`${CADENCE_WORDS[cadence]} digest: ${plural(summaries.length, 'job')} ended.`];
  for (const [site, states] of bySiteAndState(summaries)) {
    lines.push('', `Site ${site}`);
    for (const [state, jobs] of states) {
      lines.push(`  ${STATE_WORDS[state] ?? state} (${jobs.length})`);
      for (const job of jobs) lines.push(`    ${jobLine(job)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The HTML digest: the same facts as the text, every value escaped. */
export function digestHtmlOf(summaries: JobEndSummary[], cadence: keyof typeof CADENCE_WORDS): string {
  const parts = [`<p>${CADENCE_WORDS[cadence]} digest: ${plural(summaries.length, 'job')} ended.</p>`];
  for (const [site, states] of bySiteAndState(summaries)) {
    parts.push(`<h3>Site ${escapeHtml(site)}</h3>`);
    for (const [state, jobs] of states) {
      const items = jobs.map((j) => {
        const label = `#${j.jobId} ${escapeHtml(j.workflow)}`;
        const linked = j.link ? `<a href="${escapeHtml(j.link)}">${label}</a>` : label;
        return `<li>${linked}${j.reason ? ` — ${escapeHtml(j.reason)}` : ''}</li>`;
      });
      parts.push(`<p><b>${escapeHtml(STATE_WORDS[state] ?? state)}</b> (${jobs.length})</p><ul>${items.join('')}</ul>`);
    }
  }
  return parts.join('');
}
