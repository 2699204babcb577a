/**
 * The console's one door into the pure domain module (no I/O): states, controls and roles are
 * decided there, never re-implemented here.
 */

export type { CatchUpRule, ItemOutcome, JobControl, JobOutcome, JobState, OverlapRule, Role, RunResult, TaskState } from '../../src/model/index.js';
export {
  ansiEscapes,
  CatchUpRules,
  canControlJob,
  canPauseNow,
  describeSchedule,
  findMatches,
  hasAnsi,
  ITEM_OUTCOMES,
  isCalendarDate,
  isTerminalJobState,
  isTerminalTaskState,
  JOB_CONTROLS,
  JOB_STATES,
  OverlapRules,
  roleAllows,
  TASK_STATES,
  taskTallies,
  visibleText,
} from '../../src/model/index.js';
