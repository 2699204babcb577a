import { Text, VisuallyHidden } from '@mantine/core';
import dayjs from 'dayjs';

/** The browser's time zone, said once where times are listed. */
export const LOCAL_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dayjs(iso).format('YYYY-MM-DD HH:mm:ss') : '—';
}

/** An instant in the browser's time zone; the exact UTC instant is in the tooltip and markup. */
export function DateTime({ value, size = 'sm' }: { value: string | null | undefined; size?: 'xs' | 'sm' | 'md' }) {
  if (!value) {
    return (
      <Text span size={size} c="dimmed">
        <span aria-hidden="true">—</span>
        <VisuallyHidden>not yet</VisuallyHidden>
      </Text>
    );
  }
  return (
    <Text span size={size} style={{ whiteSpace: 'nowrap' }}>
      <time dateTime={value} title={`${value} (UTC)`}>
        {formatDateTime(value)}
      </time>
    </Text>
  );
}
