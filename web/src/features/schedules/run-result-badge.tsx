import { StatusBadge } from '../../components/ui/status-badge.js';
import type { RunResult } from '../../domain.js';
import type { StateStyle } from '../states/state-styles.js';

/** The result chip of a run, as seed 002's history shows it: words, a shape, a colour. */
const RESULT_STYLES: Record<RunResult, StateStyle> = {
  pending: { label: 'Pending', color: 'indigo', icon: 'clock' },
  'in-progress': { label: 'In progress', color: 'blue', icon: 'play' },
  'up-to-date': { label: 'Up to date', color: 'green', icon: 'check' },
  modified: { label: 'Modified', color: 'orange', icon: 'warning' },
  failed: { label: 'Failed', color: 'red', icon: 'x' },
  'timed-out': { label: 'Timed out', color: 'red', icon: 'clock' },
  cancelled: { label: 'Cancelled', color: 'gray', icon: 'slash' },
  unknown: { label: 'Unknown', color: 'grape', icon: 'question' },
};

export function runResultLabel(result: RunResult): string {
  return RESULT_STYLES[result].label;
}

export function RunResultBadge({ result, size = 'sm' }: { result: RunResult; size?: 'xs' | 'sm' }) {
  const style = RESULT_STYLES[result] ?? { label: result, color: 'gray', icon: 'question' };
  return <StatusBadge label={style.label} color={style.color} icon={style.icon} size={size} testId="run-result" />;
}
