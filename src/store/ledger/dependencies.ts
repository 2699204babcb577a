import { isTerminalTaskState, transitionTask } from '../../model/index.js';
import type { JobBook } from './job-book.js';
import type { LedgerTx, TaskRow } from './ledger-tx.js';
import { isDependencyBroken, isDependencySatisfied } from './new-tasks.js';

/**
 * After tasks finish, moves the tasks that wait on them: a dependent whose last dependency
 * finished well becomes ready; one whose dependency failed is cancelled, and so on down the
 * chain. Writes the dependents it changes.
 */
export async function releaseDependents(tx: LedgerTx, book: JobBook, finished: TaskRow[], now: number): Promise<void> {
  let wave = finished.filter((task) => task.dependents > 0 && isTerminalTaskState(task.state));
  while (wave.length > 0) {
    const byDependency = new Map(wave.map((task) => [task.id, task]));
    const edges = await tx.dependencyEdges(wave.map((task) => task.id));
    if (edges.length === 0) return;
    const dependents = new Map((await tx.lockTasks([...new Set(edges.map((e) => e.taskId))])).map((row) => [row.id, row]));
    const finishedDeps = new Map<number, TaskRow[]>();
    for (const edge of edges) {
      const list = finishedDeps.get(edge.taskId) ?? [];
      list.push(byDependency.get(edge.dependsOn) as TaskRow);
      finishedDeps.set(edge.taskId, list);
    }
    const changes: { row: TaskRow; fromState: TaskRow['state'] }[] = [];
    const next: TaskRow[] = [];
    for (const [dependentId, deps] of finishedDeps) {
      const row = dependents.get(dependentId);
      if (row?.state !== 'created') continue;
      const broken = deps.find((dep) => isDependencyBroken(dep.state));
      row.updatedAt = now;
      if (broken) {
        // A dependency that can no longer succeed cancels its dependents (created → cancelled).
        row.state = transitionTask(row.state, { type: 'cancel' }) ?? row.state;
        row.reason = `dependency ${broken.id} (${broken.type}) ended ${broken.state}`;
        row.endedAt = now;
        next.push(row);
      } else {
        row.pendingDeps = Math.max(0, row.pendingDeps - deps.filter((dep) => isDependencySatisfied(dep.state)).length);
        if (row.pendingDeps === 0) {
          row.state = transitionTask('created', { type: 'ready' }) ?? row.state;
          row.availableAt = Math.max(row.availableAt, now);
        }
      }
      changes.push({ row, fromState: 'created' });
      if (row.state !== 'created') book.moveTask(row, 'created', row.state, row.reason);
    }
    await tx.updateTasks(changes);
    wave = next.filter((task) => task.dependents > 0);
  }
}
