import { Anchor, Box, Text, useMantineTheme } from '@mantine/core';
import { Link } from 'react-router';
import type { EnvelopeDetail } from '../../api/envelope-queries.js';
import type { JobState } from '../../domain.js';
import { StateBadge } from '../states/state-badge.js';
import { stateStyle } from '../states/state-styles.js';

const NODE_W = 180;
const NODE_H = 68;
const GAP_X = 56;
const GAP_Y = 14;
/** A larger envelope draws its first members only (the table below lists them all). */
export const GRAPH_LIMIT = 200;

type Member = EnvelopeDetail['jobs'][number];

/** Columns of members: a member sits one column right of the furthest member it runs after. */
export function layers(jobs: { id: number; after: number[] }[]): Map<number, number> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const level = new Map<number, number>();
  const visit = (id: number, seen: Set<number>): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot be submitted; never loop on one
    seen.add(id);
    const preds = (byId.get(id)?.after ?? []).filter((a) => byId.has(a));
    const value = preds.length === 0 ? 0 : 1 + Math.max(...preds.map((a) => visit(a, seen)));
    level.set(id, value);
    return value;
  };
  for (const job of jobs) visit(job.id, new Set());
  return level;
}

/**
 * The chain drawn left to right: each member a box (id, workflow, state in words and colour,
 * linking to its job), an arrow from each member it runs after. Plain SVG lines under
 * positioned boxes; a long chain scrolls sideways.
 */
export function EnvelopeGraph({ jobs: all }: { jobs: Member[] }) {
  const theme = useMantineTheme();
  const jobs = all.slice(0, GRAPH_LIMIT);
  const level = layers(jobs);
  const columns: Member[][] = [];
  for (const job of jobs) {
    const c = level.get(job.id) ?? 0;
    columns[c] = [...(columns[c] ?? []), job];
  }
  const at = new Map<number, { x: number; y: number }>();
  columns.forEach((column, c) => {
    column.forEach((job, r) => {
      at.set(job.id, { x: c * (NODE_W + GAP_X), y: r * (NODE_H + GAP_Y) });
    });
  });
  const width = Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X;
  const height = Math.max(1, ...columns.map((c) => c.length)) * (NODE_H + GAP_Y) - GAP_Y;
  const colour = (state: string) => {
    const name = stateStyle(state as JobState).color;
    return theme.colors[name]?.[6] ?? name;
  };
  if (jobs.length === 0) return <Text c="dimmed">No jobs: nothing ran.</Text>;
  return (
    <Box style={{ overflowX: 'auto' }} data-testid="envelope-graph" role="figure" aria-label={`Chain of ${all.length} jobs`}>
      {all.length > jobs.length ? (
        <Text size="xs" c="dimmed">
          The first {jobs.length} of {all.length} jobs; the table below lists them all.
        </Text>
      ) : null}
      <Box pos="relative" w={width} h={height} m={4}>
        <svg width={width} height={height} style={{ position: 'absolute', inset: 0 }} aria-hidden="true">
          <defs>
            <marker id="envelope-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--mantine-color-dimmed)" />
            </marker>
          </defs>
          {jobs.flatMap((job) =>
            job.after.map((a) => {
              const from = at.get(a);
              const to = at.get(job.id);
              if (!from || !to) return null;
              const x1 = from.x + NODE_W;
              const y1 = from.y + NODE_H / 2;
              const x2 = to.x;
              const y2 = to.y + NODE_H / 2;
              const mid = (x1 + x2) / 2;
              return (
                <path
                  key={`${a}-${job.id}`}
                  data-testid="envelope-edge"
                  d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`}
                  fill="none"
                  stroke="var(--mantine-color-dimmed)"
                  strokeWidth={1.5}
                  markerEnd="url(#envelope-arrow)"
                />
              );
            }),
          )}
        </svg>
        {jobs.map((job) => {
          const p = at.get(job.id) ?? { x: 0, y: 0 };
          return (
            <Box
              key={job.id}
              pos="absolute"
              left={p.x}
              top={p.y}
              w={NODE_W}
              h={NODE_H}
              p={6}
              data-testid="envelope-node"
              data-job={job.id}
              data-state={job.state}
              style={{
                border: '1px solid var(--mantine-color-default-border)',
                borderLeft: `5px solid ${colour(job.state)}`,
                borderRadius: 6,
                background: 'var(--mantine-color-body)',
                overflow: 'hidden',
              }}
            >
              <Anchor
                component={Link}
                to={`/jobs/${job.id}`}
                size="sm"
                fw={600}
                aria-label={`Job ${job.id}, ${job.label}, ${stateStyle(job.state as JobState).label}`}
              >
                #{job.id}
              </Anchor>{' '}
              <Text span size="xs" title={job.label}>
                {job.label}
              </Text>
              <Box mt={4}>
                <StateBadge state={job.state as JobState} size="xs" />
              </Box>
            </Box>
          );
        })}
      </Box>
    </Box>
  );
}
