import { type CSSVariablesResolver, createTheme, type MantineColorsTuple, Modal, Notification, TableScrollContainer } from '@mantine/core';

/**
 * Mantine's dark palette with its dimmed shade (index 2) lifted from #828282 to #a3a3a3: the
 * default reads 3.5:1 on the dark surfaces, under WCAG AA's 4.5:1; this one reads 5:1 or more.
 */
const dark: MantineColorsTuple = ['#C9C9C9', '#b8b8b8', '#a3a3a3', '#696969', '#424242', '#3b3b3b', '#2e2e2e', '#242424', '#1f1f1f', '#141414'];

export const theme = createTheme({
  // Someone who asked their system for less motion gets no fades or slides.
  respectReducedMotion: true,
  primaryColor: 'indigo',
  // Shade 6 (#4c6ef5) is 4.3:1 against white, both as link text and under white button text;
  // shade 8 is 5.6:1. The dark theme keeps Mantine's.
  primaryShade: { light: 8, dark: 8 },
  colors: { dark },
  // Filled buttons on light hues (yellow, orange) take dark text instead of white.
  autoContrast: true,
  // Keyboard users always see where they are; mouse clicks do not leave rings behind.
  focusRing: 'auto',
  defaultRadius: 'sm',
  components: {
    // Close buttons are icons: screen readers need their name.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } } }),
    // A table wider than a phone scrolls sideways: keyboard users must be able to reach it.
    TableScrollContainer: TableScrollContainer.extend({ defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0 } } } }),
  },
});

/**
 * Light-theme text colours of the `light` variant (state chips, light buttons, alerts): Mantine
 * writes shade 9 on a 10 % tint, which for yellow is 2.7:1, orange 3.6:1, green 3.8:1 — under
 * WCAG AA's 4.5:1. Each colour here is the same hue, darkened until it reads 5:1 or more on its
 * tint. Dimmed text moves from gray 6 (3.3:1 on white) to gray 7. The dark theme's pass as they are.
 */
const LIGHT_TEXT: Record<string, string> = {
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

export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': t.colors.gray[7],
    ...Object.fromEntries(Object.entries(LIGHT_TEXT).map(([color, text]) => [`--mantine-color-${color}-light-color`, text])),
  },
  dark: {},
});
