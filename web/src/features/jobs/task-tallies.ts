import type { Job } from '../../api/types.js';
import { taskTallies as tallies } from '../../domain.js';

/** The task counts of the jobs list, as the model defines them (the same as the export's). */
export function taskTallies(job: Job) {
  return tallies(job.taskCounts);
}
