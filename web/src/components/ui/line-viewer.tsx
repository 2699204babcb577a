import { Box } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type MouseEvent, type ReactNode, useEffect, useRef } from 'react';
import { findMatches } from '../../domain.js';
import { type AnsiRun, hasAnsi, parseAnsi } from './ansi.js';

export interface ViewerLine {
  /** Stable number of the line, shown in the gutter. */
  n: number;
  text: string;
}

const LINE_HEIGHT = 20;

/**
 * A piece of visible text starting at `offset` in its line, split at the line's search hits
 * (`hits`, [start, end) in the whole line's visible text): each hit's part in this piece is
 * marked. A hit that spans colour runs is marked in each run it covers, as one `data-hit`.
 */
function marked(text: string, offset: number, hits: Array<[number, number]>, key: string): ReactNode {
  const parts: ReactNode[] = [];
  const end = offset + text.length;
  let at = offset;
  hits.forEach(([from, to], hit) => {
    if (to <= at || from >= end) return;
    const start = Math.max(from, at);
    if (start > at) parts.push(text.slice(at - offset, start - offset));
    const stop = Math.min(to, end);
    parts.push(
      <mark key={`${key}-${start}`} className="swy-output-mark" data-hit={hit}>
        {text.slice(start - offset, stop - offset)}
      </mark>,
    );
    at = stop;
  });
  if (parts.length === 0) return text;
  if (at < end) parts.push(text.slice(at - offset));
  return parts;
}

function runStyle(r: AnsiRun) {
  return {
    color: r.fg ?? undefined,
    backgroundColor: r.bg ?? undefined,
    fontWeight: r.bold ? 700 : undefined,
    opacity: r.dim ? 0.75 : undefined,
    fontStyle: r.italic ? 'italic' : undefined,
    textDecoration: r.underline ? 'underline' : undefined,
  };
}

/**
 * One line's text: ANSI colours as styled spans of text (never markup), search hits marked in
 * the visible text (the hub's search matches the same text), across colour changes.
 */
function LineText({ text, mark }: { text: string; mark?: string }) {
  const runs = hasAnsi(text) ? parseAnsi(text) : null;
  const hits = mark ? findMatches(runs ? runs.map((r) => r.text).join('') : text, mark) : [];
  if (!runs) return <>{marked(text, 0, hits, 't')}</>;
  let offset = 0;
  return (
    <>
      {runs.map((r, i) => {
        const at = offset;
        offset += r.text.length;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: runs of one line never move.
          <span key={i} style={runStyle(r)}>
            {marked(r.text, at, hits, `r${i}`)}
          </span>
        );
      })}
    </>
  );
}

/**
 * Lines of output, virtualised so that only the visible rows exist in the page: stays fast on
 * millions of lines. Text goes in as text nodes, never as markup; ANSI colours are drawn.
 * With `follow`, the view keeps to the end as lines arrive; `onNearEnd` asks for more when the
 * reader scrolls close to it. Each gutter number links to its line (`lineHref`); `current` and
 * `target` are highlighted, and `scrollTo` (a line number, with an id to ask again) brings a
 * line into the middle of the view once it is among `lines`.
 */
export function LineViewer({
  lines,
  height,
  follow,
  onNearEnd,
  label,
  mark,
  current,
  target,
  scrollTo,
  lineHref,
  onLineLink,
}: {
  lines: ViewerLine[];
  /** A CSS height; omitted: the viewer grows to fill a flex column. */
  height?: number | string;
  follow: boolean;
  onNearEnd?: () => void;
  label: string;
  mark?: string;
  current?: number | null;
  target?: number | null;
  scrollTo?: { n: number; id: number } | null;
  lineHref?: (n: number) => string;
  onLineLink?: (n: number) => void;
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

  // Scrolls once per request, as soon as the asked line is loaded.
  const scrolled = useRef<number | null>(null);
  useEffect(() => {
    if (!scrollTo || scrolled.current === scrollTo.id) return;
    const index = indexOfLine(lines, scrollTo.n);
    if (index < 0) return;
    scrolled.current = scrollTo.id;
    virtualizer.scrollToIndex(index, { align: 'center' });
  }, [scrollTo, lines, virtualizer]);

  const onGutterClick = (event: MouseEvent<HTMLAnchorElement>, n: number) => {
    if (!onLineLink || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onLineLink(n);
  };

  return (
    <Box
      ref={parentRef}
      role="region"
      aria-label={label}
      tabIndex={0}
      h={height}
      data-testid="line-viewer"
      style={{
        overflow: 'auto',
        fontFamily: 'var(--mantine-font-family-monospace)',
        fontSize: 12,
        border: '1px solid var(--mantine-color-default-border)',
        borderRadius: 4,
        ...(height === undefined ? { flex: 1, minHeight: 0 } : {}),
      }}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: '100%', width: 'max-content' }}>
        {items.map((row) => {
          const line = lines[row.index];
          const isCurrent = current === line.n;
          const isTarget = target === line.n;
          return (
            <div
              key={row.key}
              data-testid="output-line"
              data-line={line.n}
              data-current-match={isCurrent || undefined}
              data-target-line={isTarget || undefined}
              className={isCurrent ? 'swy-output-line swy-output-current' : isTarget ? 'swy-output-line swy-output-target' : 'swy-output-line'}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                minWidth: '100%',
                height: LINE_HEIGHT,
                lineHeight: `${LINE_HEIGHT}px`,
                transform: `translateY(${row.start}px)`,
                whiteSpace: 'pre',
                paddingRight: 8,
              }}
            >
              {lineHref ? (
                <a
                  className="swy-output-gutter"
                  href={lineHref(line.n)}
                  id={`L${line.n}`}
                  aria-label={`Line ${line.n}`}
                  onClick={(event) => onGutterClick(event, line.n)}
                >
                  {line.n}
                </a>
              ) : (
                <span className="swy-output-gutter">{line.n}</span>
              )}
              <span>
                <LineText text={line.text} mark={mark} />
              </span>
            </div>
          );
        })}
      </div>
    </Box>
  );
}

/** Index of line number `n` in lines sorted by number, or -1. */
export function indexOfLine(lines: ViewerLine[], n: number): number {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].n === n) return mid;
    if (lines[mid].n < n) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
