import { Badge, type MantineColor } from '@mantine/core';
import { Icon, type IconName } from './icon.js';

/** A status is never cut to "Completed wit…": the badge keeps its full width. */
const BADGE_STYLES = { root: { flexShrink: 0, maxWidth: 'none', overflow: 'visible' }, label: { overflow: 'visible' } } as const;

export interface StatusBadgeProps {
  label: string;
  color: MantineColor;
  icon: IconName;
  size?: 'xs' | 'sm' | 'md' | 'lg';
  testId?: string;
}

/** A status as text with a shape beside it: colour only ever repeats what both already say. */
export function StatusBadge({ label, color, icon, size = 'sm', testId }: StatusBadgeProps) {
  return (
    <Badge
      color={color}
      variant="light"
      size={size}
      leftSection={<Icon name={icon} size={12} />}
      tt="none"
      data-testid={testId}
      className="status-badge"
      styles={BADGE_STYLES}
    >
      {label}
    </Badge>
  );
}
