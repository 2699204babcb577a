import { StatusBadge } from '../../components/ui/status-badge.js';
import type { JobState, TaskState } from '../../domain.js';
import { stateStyle } from './state-styles.js';

/** A job or task state as a badge: its name, a shape, and a colour. */
export function StateBadge({ state, size, testId }: { state: JobState | TaskState; size?: 'xs' | 'sm' | 'md' | 'lg'; testId?: string }) {
  const style = stateStyle(state);
  return <StatusBadge label={style.label} color={style.color} icon={style.icon} size={size} testId={testId} />;
}
