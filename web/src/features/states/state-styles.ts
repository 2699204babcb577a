import type { MantineColor } from '@mantine/core';
import type { IconName } from '../../components/ui/icon.js';
import type { ItemOutcome, JobOutcome, JobState, TaskState } from '../../domain.js';

export interface StateStyle {
  label: string;
  color: MantineColor;
  icon: IconName;
}

/** How each state reads in the console: words first, a shape second, colour third. */
const STYLES: Record<JobState | TaskState, StateStyle> = {
  created: { label: 'Created', color: 'gray', icon: 'dashedCircle' },
  queued: { label: 'Queued', color: 'indigo', icon: 'clock' },
  running: { label: 'Running', color: 'blue', icon: 'play' },
  pausing: { label: 'Pausing', color: 'yellow', icon: 'pause' },
  paused: { label: 'Paused', color: 'yellow', icon: 'pause' },
  cancelling: { label: 'Cancelling', color: 'gray', icon: 'slash' },
  cancelled: { label: 'Cancelled', color: 'gray', icon: 'slash' },
  success: { label: 'Success', color: 'green', icon: 'check' },
  error: { label: 'Completed with errors', color: 'orange', icon: 'warning' },
  failure: { label: 'Failure', color: 'red', icon: 'x' },
  skipped: { label: 'No-op (skipped)', color: 'teal', icon: 'skip' },
  aborted: { label: 'Aborted', color: 'red', icon: 'octagon' },
  unknown: { label: 'Unknown', color: 'grape', icon: 'question' },
};

export function stateStyle(state: JobState | TaskState): StateStyle {
  return STYLES[state] ?? { label: state, color: 'gray', icon: 'question' };
}

/**
 * The colour of a job's progress bar, by how it ended: green success, red failure, orange
 * completed with errors, grey cancelled or skipped, blue while it runs (yellow while paused).
 * Never shown alone: the state's label stays next to the bar.
 */
export function progressColor(state: JobState): MantineColor {
  switch (state) {
    case 'success':
      return 'green';
    case 'failure':
      return 'red';
    case 'error':
      return 'orange';
    case 'cancelled':
    case 'cancelling':
    case 'skipped':
      return 'gray';
    case 'pausing':
    case 'paused':
      return 'yellow';
    case 'unknown':
      return 'grape';
    default:
      return 'blue';
  }
}

const ITEM_STYLES: Record<ItemOutcome, StateStyle> = {
  queued: { label: 'Queued', color: 'indigo', icon: 'clock' },
  completed: { label: 'Completed', color: 'green', icon: 'check' },
  failed: { label: 'Failed', color: 'red', icon: 'x' },
  skipped: { label: 'Skipped', color: 'teal', icon: 'skip' },
};

export function itemStyle(outcome: ItemOutcome): StateStyle {
  return ITEM_STYLES[outcome] ?? { label: outcome, color: 'gray', icon: 'question' };
}

export function outcomeLabel(outcome: JobOutcome | null): string {
  if (outcome === 'changed') return 'Modified';
  if (outcome === 'unchanged') return 'Up to date';
  return '—';
}
