/**
 * How `switchyard start` and `switchyard worker` end after SIGTERM or Ctrl+C: running tasks
 * get SHUTDOWN_GRACE_MS to finish, then they are told to stop and handed back to the hub; the
 * process ends by SHUTDOWN_DEADLINE_MS whatever happens. The 5 s between the two is for tasks
 * to stop, their reports to be sent and the store to close; a handler that ignores its signal
 * cannot hold the process past the deadline (its lease expires and the task runs again).
 */
export const SHUTDOWN_GRACE_MS = 10_000;
export const SHUTDOWN_DEADLINE_MS = 15_000;

/** Ends the process at the deadline, with exit code 1, if an orderly stop has not ended it first. */
export function exitAtDeadline(deadlineMs = SHUTDOWN_DEADLINE_MS): void {
  const timer = setTimeout(() => {
    console.error(`stopping: the ${deadlineMs / 1000} s deadline passed with tasks still running; exiting (their leases expire and they run again)`);
    process.exit(1);
  }, deadlineMs);
  // The timer alone must not keep a process alive that has finished stopping.
  timer.unref();
}

/** The line printed when a stop begins. */
export function stoppingMessage(signal: string): string {
  return `${signal}: finishing running tasks (up to ${SHUTDOWN_GRACE_MS / 1000} s), then handing the rest back; exiting within ${SHUTDOWN_DEADLINE_MS / 1000} s (press Ctrl+C again to stop at once)`;
}
