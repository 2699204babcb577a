import { Box, Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';

export interface ViewerLine {
  /** Stable number of the line, shown in the gutter. */
  n: number;
  text: string;
}

const LINE_HEIGHT = 20;

/**
 * Plain-text lines, virtualised so that only the visible rows exist in the page: stays fast on
 * millions of lines. Text goes in as text nodes, never as markup. With `follow`, the view keeps
 * to the end as lines arrive; `onNearEnd` asks for more when the reader scrolls close to it.
 */
export function LineViewer({
  lines,
  height,
  follow,
  onNearEnd,
  label,
}: {
  lines: ViewerLine[];
  height: number | string;
  follow: boolean;
  onNearEnd?: () => void;
  label: string;
}) {
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 30,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.length > 0 ? items[items.length - 1].index : -1;

  useEffect(() => {
    if (follow && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [follow, lines.length, virtualizer]);

  useEffect(() => {
    if (onNearEnd && lines.length > 0 && lastShown >= lines.length - 50) onNearEnd();
  }, [lastShown, lines.length, onNearEnd]);

  return (
    <Box
      ref={parentRef}
      role="region"
      aria-label={label}
      tabIndex={0}
      h={height}
      style={{
        overflow: 'auto',
        fontFamily: 'var(--mantine-font-family-monospace)',
        fontSize: 12,
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 4,
      }}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: '100%', width: 'max-content' }}>
        {items.map((row) => {
          const line = lines[row.index];
          return (
            <div
              key={row.key}
              data-testid="output-line"
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                height: LINE_HEIGHT,
                lineHeight: `${LINE_HEIGHT}px`,
                transform: `translateY(${row.start}px)`,
                whiteSpace: 'pre',
                paddingRight: 8,
              }}
            >
              <Text span c="dimmed" inherit style={{ display: 'inline-block', width: '6ch', textAlign: 'right', marginRight: '1ch', userSelect: 'none' }}>
                {line.n}
              </Text>
              {line.text}
            </div>
          );
        })}
      </div>
    </Box>
  );
}
