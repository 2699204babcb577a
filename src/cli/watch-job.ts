import { SingleBar } from 'cli-progress';
import type { Job, SwitchyardClient } from '../client/client.js';
import { isTerminalJobState } from '../model/index.js';

const POLL_MS = 300;

/**
 * Shows a job's progress until it ends: a progress bar on a terminal, one line per change
 * otherwise (logs, CI). Returns the finished job.
 */
export async function watchJob(client: SwitchyardClient, id: number): Promise<Job> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({ format: 'job {id} {state} [{bar}] {percentage}% | tasks {tasks} | items {items}', hideCursor: true, stream: process.stderr })
    : null;
  let job = await client.getJob(id);
  let last = '';
  bar?.start(100, 0, payload(job));
  for (;;) {
    const line = `job ${job.id} ${job.state} ${job.progress.percent}% tasks ${payload(job).tasks} items ${payload(job).items}`;
    if (bar) bar.update(job.progress.percent, payload(job));
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (isTerminalJobState(job.state)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await client.getJob(id);
  }
  bar?.stop();
  return job;
}

function payload(job: Job) {
  const t = job.taskCounts;
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  const done = t.success + t.error + t.failure + t.skipped + t.cancelled + t.aborted + t.unknown;
  const items = job.itemCounts;
  return { id: job.id, state: job.state, tasks: `${done}/${total}`, items: `${items.completed} ok, ${items.failed} failed` };
}
