import { Badge, type MantineColor } from '@mantine/core';
import type { CSSProperties } from 'react';
import { Icon, type IconName } from './icon.js';

/** A status is never cut to "Completed wit…": the badge keeps its full width. */
const BADGE_STYLES = { root: { flexShrink: 0, maxWidth: 'none', overflow: 'visible' }, label: { overflow: 'visible' } } as const;

/**
 * The text colour of a light-theme chip, per hue: dark enough for 4.5:1 on the chip's tint
 * (see app.css). Hues not listed use Mantine's shade 9.
 */
const LIGHT_TEXT: Partial<Record<string, string>> = {
  gray: '#343a40',
  yellow: '#7a4a00',
  orange: '#9a3412',
  green: '#1d6b31',
  teal: '#0b5e4b',
  red: '#a61e1e',
  blue: '#1a5a96',
  indigo: '#3341a8',
  grape: '#7a2a8f',
};

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
      style={{ '--status-text-light': LIGHT_TEXT[color] ?? `var(--mantine-color-${color}-9)` } as CSSProperties}
    >
      {label}
    </Badge>
  );
}
