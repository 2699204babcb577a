/**
 * The console's one door into the pure domain module (no I/O): states, controls and roles are
 * decided there, never re-implemented here.
 */

export type { ItemOutcome, JobControl, JobOutcome, JobState, Role, TaskState } from '../../src/model/index.js';
export {
  canControlJob,
  canPauseNow,
  ITEM_OUTCOMES,
  isTerminalJobState,
  isTerminalTaskState,
  JOB_CONTROLS,
  JOB_STATES,
  roleAllows,
  TASK_STATES,
  taskTallies,
} from '../../src/model/index.js';
