import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepDeadFolders } from '../../src/sdk/load-workflows.js';

/**
 * A process that loads a CommonJS workflow module makes a folder of links in the temp folder,
 * named after its process id, and removes it when it exits. One killed with SIGKILL cannot:
 * the next process to make such a folder removes those whose process is gone.
 */
describe('CommonJS link folders', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
  });

  it('removes the folders of processes that are gone, and only those, never what their links point to', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(Number.isInteger(deadPid) && deadPid > 0).toBe(true);
    const target = mkdtempSync(join(tmpdir(), 'swy-link-target-'));
    made.push(target);
    writeFileSync(join(target, 'keep.txt'), 'kept');
    const gone = join(tmpdir(), `switchyard-modules-${deadPid}-test01`);
    const alive = join(tmpdir(), `switchyard-modules-${process.ppid}-test02`);
    const other = join(tmpdir(), 'switchyard-modules-notapid');
    for (const path of [gone, alive, other]) {
      mkdirSync(path, { recursive: true });
      made.push(path);
    }
    symlinkSync(target, join(gone, 'switchyard'), 'dir');

    sweepDeadFolders();

    expect(existsSync(gone)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(join(target, 'keep.txt'))).toBe(true);
  });
});
