import { type MantineColor, useComputedColorScheme } from '@mantine/core';

/**
 * Secondary text and link colours that keep WCAG AA contrast (4.5:1) in both themes: Mantine's
 * `dimmed` and default link blue fall short on white (about 3.3:1 and 3.5:1).
 */
export function useReadableColors(): { muted: MantineColor; link: MantineColor } {
  const dark = useComputedColorScheme('light') === 'dark';
  return { muted: dark ? 'dark.1' : 'gray.7', link: dark ? 'blue.3' : 'blue.8' };
}
