import { describe, expect, it } from 'vitest';
import { jobProgress, type Progress, progressPercent, TASK_PROGRESS_UNITS, TASK_STATES, type TaskState, taskProgressUnits } from '../../src/model/index.js';

const none: Progress = { done: 0, total: 1 };
const tasks = (n: number, state: TaskState, progress: Progress = none) => Array.from({ length: n }, () => ({ state, progress }));

describe('taskProgressUnits', () => {
  const FULL: TaskState[] = ['success', 'error', 'skipped'];

  it.each(TASK_STATES.map((state) => [state]))('%s: full if it ran to its end, else the fraction reached', (state) => {
    const half = taskProgressUnits(state, { done: 500, total: 1000 });
    if (FULL.includes(state)) expect(half).toBe(TASK_PROGRESS_UNITS);
    else expect(half).toBe(TASK_PROGRESS_UNITS / 2);
    if (!FULL.includes(state)) expect(taskProgressUnits(state, none)).toBe(0);
  });

  it.each([
    [{ done: 999, total: 1000 }, 999],
    [{ done: 9_999, total: 10_000 }, 999],
    [{ done: 18, total: 15_000 }, 1],
    [{ done: 5, total: 0 }, 0],
    [{ done: -3, total: 10 }, 0],
    [{ done: 20, total: 10 }, TASK_PROGRESS_UNITS],
  ])('running at %o fills %i units, never full before done', (progress, expected) => {
    expect(taskProgressUnits('running', progress)).toBe(expected);
  });
});

describe('jobProgress and progressPercent', () => {
  it.each<[string, { state: TaskState; progress: Progress }[], number]>([
    [
      '8 of 30 one-unit tasks done, one nearly done',
      [...tasks(8, 'success'), ...tasks(1, 'running', { done: 990, total: 1000 }), ...tasks(21, 'queued')],
      29.9,
    ],
    ['8 of 30 done, the rest planned', [...tasks(8, 'success'), ...tasks(22, 'created')], 26.6],
    ['one task at 500 of 1000', [...tasks(1, 'running', { done: 500, total: 1000 })], 50],
    ['cancelled after 18 of 15,000 items', [...tasks(1, 'cancelled', { done: 18, total: 15_000 })], 0.1],
    ['cancelled at 0.2 %', [...tasks(1, 'cancelled', { done: 30, total: 15_000 })], 0.2],
    ['failed half way with two left unrun', [...tasks(1, 'failure', { done: 1, total: 2 }), ...tasks(2, 'cancelled')], 16.6],
    ['every task succeeded', tasks(3, 'success'), 100],
    ['completed with errors and skips', [...tasks(2, 'error'), ...tasks(1, 'skipped')], 100],
    ['no tasks planned', [], 0],
  ])('%s reads %d %%', (_name, list, percent) => {
    const progress = jobProgress(list);
    expect(progress.total).toBe(list.length * TASK_PROGRESS_UNITS);
    expect(progressPercent(progress)).toBe(percent);
  });

  it('reads 100 only when everything is done', () => {
    expect(progressPercent({ done: 29_999, total: 30_000 })).toBe(99.9);
    expect(progressPercent({ done: 30_000, total: 30_000 })).toBe(100);
  });
});
