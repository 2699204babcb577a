import type { MantineColor } from '@mantine/core';
import type { IconName } from '../../components/ui/icon.js';
import { StatusBadge } from '../../components/ui/status-badge.js';

const STYLES: Record<string, { label: string; color: MantineColor; icon: IconName }> = {
  active: { label: 'Active', color: 'blue', icon: 'play' },
  'errors-active': { label: 'Errors, active', color: 'orange', icon: 'warning' },
  success: { label: 'Success', color: 'green', icon: 'check' },
  errors: { label: 'Errors', color: 'red', icon: 'x' },
  corrupt: { label: 'Corrupt', color: 'grape', icon: 'octagon' },
  cancelled: { label: 'Cancelled', color: 'gray', icon: 'slash' },
  'rolling-back': { label: 'Rolling back', color: 'yellow', icon: 'refresh' },
  'rolled-back': { label: 'Rolled back', color: 'teal', icon: 'refresh' },
};

/** An envelope status as a badge: words first, a shape second, colour third. */
export function EnvelopeStatusBadge({ status, testId }: { status: string; testId?: string }) {
  const style = STYLES[status] ?? { label: status, color: 'gray', icon: 'question' };
  return <StatusBadge label={style.label} color={style.color} icon={style.icon} testId={testId} />;
}
