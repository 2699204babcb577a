import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LongRunning, startCli } from '../helpers/cli-process.js';
import { dropSchema, postgresHarness, TEST_PG_URL, testSchemaName } from '../helpers/store-harness.js';

/**
 * How long the schedule runs. ~15 s keeps `npm test` short; SWITCHYARD_EXACTLY_ONCE_SECONDS=60
 * is the full 60-second run (same checks).
 */
const RUN_SECONDS = Number(process.env.SWITCHYARD_EXACTLY_ONCE_SECONDS ?? 10);

/**
 * Issue 10's exactly-once check with real processes: three hubs on one PostgreSQL schema, a
 * one-second schedule, and the hub holding the scheduler duty killed with SIGKILL half-way.
 * Another hub takes the duty over; afterwards the database must show one job for every
 * one-second slot from the first to the last — none doubled, none missing.
 */
describe('schedules fire each slot exactly once across three hubs, one killed (PostgreSQL)', () => {
  const schema = testSchemaName('schedule exactly once');
  const db = `${TEST_PG_URL}?schema=${schema}`;
  const hubs: LongRunning[] = [];
  const urls: string[] = [];
  let dir = '';
  let skipReason: string | null = null;
  let client: pg.Client | null = null;

  beforeAll(async () => {
    skipReason = await postgresHarness().available();
    if (skipReason) {
      console.warn(`\n!!! SKIPPING schedule exactly-once test: ${skipReason}\n`);
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'swy-sched-once-'));
    const env = { SWITCHYARD_ADMIN_PASSWORD: 'sched-pass-12345' };
    // No local workers: the jobs only need to exist (overlap `allow` fires every slot regardless).
    for (const name of ['a', 'b', 'c']) {
      hubs.push(startCli(['start', '--port', '0', '--db', db, '--no-worker', '--data', join(dir, name)], { cwd: dir, env }));
    }
    for (const hub of hubs) urls.push((await hub.waitFor(/console:\s+(http:\/\/\S+)/, 60_000))[1]);
    client = new pg.Client({ connectionString: TEST_PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    for (const hub of hubs) hub.child.kill('SIGKILL');
    await Promise.all(hubs.map((h) => h.exited));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!skipReason && process.env.SWITCHYARD_TEST_PG_KEEP !== '1') await dropSchema(TEST_PG_URL, schema);
  });

  it(
    `one job per one-second slot for ${RUN_SECONDS} s, with the duty's hub killed mid-way`,
    async (context) => {
      if (skipReason || !client) context.skip();
      const db = client as pg.Client;
      const token = JSON.parse(readFileSync(join(dir, 'a', 'cli.json'), 'utf8')).token;
      const api = async (hub: string, method: string, path: string, body?: unknown) => {
        const response = await fetch(`${hub}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect(response.ok, await response.clone().text()).toBe(true);
        return response.json();
      };
      const created = await api(urls[1], 'POST', '/schedules', {
        name: 'every-second',
        workflow: 'simulate',
        fields: { tasks: 1, items: 0, delayMs: 0 },
        everyMs: 1000,
        overlap: 'allow',
        catchUp: 'all',
      });
      const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params)).rows[0].n);
      const jobs = () => count('SELECT count(*) AS n FROM jobs WHERE schedule_id = $1', [created.id]);
      await expect.poll(jobs, { timeout: 15_000, interval: 200 }).toBeGreaterThan(0);

      await sleep((RUN_SECONDS * 1000) / 2);
      // Kill the hub that holds the scheduler duty now (its id carries its pid): the worst moment.
      const holder = (await db.query(`SELECT holder FROM duties WHERE name = 'scheduler'`)).rows[0].holder as string;
      const victim = hubs.findIndex((h) => holder.includes(`-${h.child.pid}-`));
      expect(victim, `duty holder ${holder}`).toBeGreaterThanOrEqual(0);
      hubs[victim].child.kill('SIGKILL');
      await hubs[victim].exited;
      const before = await jobs();
      // Another hub takes the duty over once the dead hub's hold expires (3 intervals).
      await expect.poll(jobs, { timeout: 20_000, interval: 250 }).toBeGreaterThan(before + 2);
      await sleep((RUN_SECONDS * 1000) / 2);

      const alive = urls.filter((_, i) => i !== victim);
      await api(alive[0], 'PATCH', `/schedules/${created.id}`, { enabled: false });
      // A round already under way when the schedule was disabled may still commit its slot.
      await sleep(1500);

      const doubled = await db.query('SELECT slot_at, count(*) AS n FROM jobs WHERE schedule_id = $1 GROUP BY slot_at HAVING count(*) > 1', [created.id]);
      expect(doubled.rows).toEqual([]);
      const span = (await db.query('SELECT min(slot_at) AS first, max(slot_at) AS last, count(*) AS n FROM jobs WHERE schedule_id = $1', [created.id])).rows[0];
      const slots = (Number(span.last) - Number(span.first)) / 1000 + 1;
      // Every one-second slot from the first to the last has its job: none lost to the kill.
      expect(Number(span.n)).toBe(slots);
      expect(slots).toBeGreaterThanOrEqual(RUN_SECONDS - 2);
      console.log(`exactly once: ${slots} one-second slots, ${slots} jobs, none doubled; hub ${'abc'[victim]} (duty holder) killed mid-way`);
      // Each recorded slot submitted exactly its one job.
      expect(await count(`SELECT count(*) AS n FROM schedule_slots WHERE schedule_id = $1 AND outcome = 'submitted'`, [created.id])).toBe(slots);
      expect(
        await count(
          `SELECT count(*) AS n FROM schedule_slots s JOIN jobs j ON j.id = s.job_id WHERE s.schedule_id = $1 AND j.slot_at = s.slot_at AND j.schedule_id = s.schedule_id`,
          [created.id],
        ),
      ).toBe(slots);
    },
    60_000 + RUN_SECONDS * 2000,
  );
});
