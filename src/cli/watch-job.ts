import { SingleBar } from 'cli-progress';
import { HubError, type Job, type SwitchyardClient } from '../client/client.js';
import { isTerminalJobState } from '../model/index.js';

const POLL_MS = 300;
/** How long a watch keeps asking a hub it cannot reach (restarting, say) before it gives up. */
const UNREACHABLE_FOR_MS = 120_000;

/**
 * Shows a job's progress until it ends: a progress bar on a terminal, one line per change
 * otherwise (logs, CI). Returns the finished job.
 */
export async function watchJob(client: SwitchyardClient, id: number): Promise<Job> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new SingleBar({ format: 'job {id} {state} [{bar}] {percentage}% | tasks {tasks} | items {items}{why}', hideCursor: true, stream: process.stderr })
    : null;
  let job = await client.getJob(id);
  let last = '';
  bar?.start(100, 0, payload(job));
  for (;;) {
    const shown = payload(job);
    const line = `job ${job.id} ${job.state} ${job.progress.percent}% tasks ${shown.tasks} items ${shown.items}${shown.why}`;
    if (bar) bar.update(job.progress.percent, shown);
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (isTerminalJobState(job.state)) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await reread(client, id, tty);
  }
  bar?.stop();
  return job;
}

/**
 * The job again. A hub that cannot be reached (restarting after a crash, say) is asked again
 * for up to two minutes, said once on stderr: the job goes on without the watch, so a restart
 * must not read as the job's failure.
 */
async function reread(client: SwitchyardClient, id: number, tty: boolean): Promise<Job> {
  const since = Date.now();
  let said = false;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      const job = await client.getJob(id);
      if (said) process.stderr.write(`${tty ? '\n' : ''}the hub answers again\n`);
      return job;
    } catch (error) {
      if (!(error instanceof HubError) || error.code !== 'SWY_ERR_UNREACHABLE' || Date.now() - since > UNREACHABLE_FOR_MS) throw error;
      if (!said) process.stderr.write(`${tty ? '\n' : ''}${error.message}; asking again for up to ${UNREACHABLE_FOR_MS / 1000} s\n`);
      said = true;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function payload(job: Job) {
  const t = job.taskCounts;
  const total = Object.values(t).reduce((a, b) => a + b, 0);
  const done = t.success + t.error + t.failure + t.skipped + t.cancelled + t.aborted + t.unknown;
  const items = job.itemCounts;
  // Why a job that is not running waits (a paused queue, no worker, a lock), as the console says.
  const why = job.waitReason ? ` | ${job.waitReason.message}` : '';
  return { id: job.id, state: job.state, tasks: `${done}/${total}`, items: `${items.completed} ok, ${items.failed} failed`, why };
}
