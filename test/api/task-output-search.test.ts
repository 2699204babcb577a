import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/index.js';
import { defineWorkflow, z } from '../../src/index.js';
import { isTerminalJobState } from '../../src/model/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';
import { type RunningHub, startTestHub } from '../helpers/hub-process.js';
import { waitFor } from '../helpers/test-hub.js';

/** Writes `lines` lines; every 1000th says "ERROR" in red (ANSI), every 7th "warning". */
const chatty = defineWorkflow({
  name: 'chatty',
  fields: z.object({ lines: z.number().int().min(0).max(200_000) }),
  plan: () => [{ type: 'talk' }],
  tasks: {
    talk(ctx) {
      for (let n = 1; n <= ctx.job.fields.lines; n++) {
        if (n % 1000 === 0) ctx.log(`\u001b[31mERROR\u001b[0m at line ${n}`);
        else if (n % 7 === 0) ctx.log(`Warning: line ${n}`);
        else ctx.log(`line ${n} is fine`);
      }
      return { changed: false };
    },
  },
});

/** Colour codes inside words: the console shows "ERROR disk full" and "warning". */
const painted = defineWorkflow({
  name: 'painted',
  fields: z.object({}),
  plan: () => [{ type: 'paint' }],
  tasks: {
    paint(ctx) {
      ctx.log('\u001b[31mERR\u001b[0mOR disk full');
      ctx.log('all \u001b[1mgood\u001b[22m');
      ctx.log('\u001b[33mwarn\u001b[39ming');
      return { changed: false };
    },
  },
});

interface SearchPage {
  matches: number[];
  next: number | null;
  finished: boolean;
}

/** GET /tasks/:id/output?search=: the numbers of the matching lines, bounded per request. */
describe('task output search over HTTP', () => {
  let hub: RunningHub;
  let bigTask = 0;
  let paintedTask = 0;

  /** Submits a job and answers its (one) task's id once the job has ended. */
  const runToEnd = async (workflow: string, fields: object) => {
    const submitted = await hub.api('/api/v1/jobs', { method: 'POST', json: { workflow, fields } });
    const { id } = (await submitted.json()) as { id: number };
    await waitFor(
      hub.engine,
      async () => {
        const job = await hub.job(id);
        return job && isTerminalJobState(job.state) ? job : null;
      },
      120_000,
      `job ${id} to end`,
    );
    const tasks = (await (await hub.api(`/api/v1/jobs/${id}/tasks`)).json()) as { items: { id: number }[] };
    return tasks.items[0].id;
  };

  beforeAll(async () => {
    hub = await startTestHub({ workflows: [...builtInWorkflows, chatty, painted] });
    bigTask = await runToEnd('chatty', { lines: 100_000 });
    paintedTask = await runToEnd('painted', {});
  }, 180_000);

  afterAll(async () => {
    await hub?.close();
  });

  const search = async (query: string) => {
    const response = await hub.api(`/api/v1/tasks/${bigTask}/output?${query}`);
    return { status: response.status, body: (await response.json()) as SearchPage & { error?: { code: string } } };
  };

  it('answers the line numbers that contain the text, either case, over 100,000 lines', async () => {
    const { status, body } = await search('search=error');
    expect(status).toBe(200);
    expect(body.matches).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) * 1000));
    expect(body).toMatchObject({ next: null, finished: true });
    // The numbers are the lines' seq: the line itself reads back at that number.
    const line = (await (await hub.api(`/api/v1/tasks/${bigTask}/output?after=41999&limit=1`)).json()) as { lines: { seq: number; line: string }[] };
    expect(line.lines[0]).toMatchObject({ seq: 42000, line: '\u001b[31mERROR\u001b[0m at line 42000' });
  });

  it('pages through many matches with limit and next', async () => {
    const first = await search('search=WARNING&limit=1000');
    expect(first.body.matches).toHaveLength(1000);
    expect(first.body.matches.slice(0, 3)).toEqual([7, 14, 21]);
    expect(first.body.next).toBe(first.body.matches[999]);
    const all = [...first.body.matches];
    let next = first.body.next;
    while (next !== null) {
      const page = await search(`search=warning&limit=5000&after=${next}`);
      all.push(...page.body.matches);
      next = page.body.next;
    }
    // Multiples of 7 that are not multiples of 1000 (those say ERROR instead).
    const expected = Array.from({ length: Math.floor(100_000 / 7) }, (_, i) => (i + 1) * 7).filter((n) => n % 1000 !== 0);
    expect(all).toEqual(expected);
  });

  it('searches after a line, and finds nothing where nothing matches', async () => {
    expect((await search('search=error&after=99000')).body).toMatchObject({ matches: [100_000], next: null });
    expect((await search('search=no%20such%20text')).body).toMatchObject({ matches: [], next: null });
    // The same through the client.
    const client = createClient({ url: hub.url, token: hub.cliToken });
    expect(await client.searchTaskOutput(bigTask, 'Error', 98_000)).toEqual({ matches: [99_000, 100_000], next: null, finished: true });
    // Wildcards of SQL are plain characters.
    expect((await search('search=%25')).body.matches).toEqual([]);
  });

  it('matches the text the console shows: colour codes inside a word are left out', async () => {
    const find = async (text: string) =>
      ((await (await hub.api(`/api/v1/tasks/${paintedTask}/output?search=${encodeURIComponent(text)}`)).json()) as SearchPage).matches;
    expect(await find('ERROR disk')).toEqual([1]);
    expect(await find('good')).toEqual([2]);
    expect(await find('Warning')).toEqual([3]);
    expect(await find('[31m')).toEqual([]);
  });

  it('refuses a hostile search with 400, never 500', async () => {
    expect((await search('search=')).status).toBe(400);
    expect((await search(`search=${'x'.repeat(201)}`)).status).toBe(400);
    expect((await search('search=a&after=-1')).status).toBe(400);
    expect((await search('search=a&limit=0')).status).toBe(400);
    const missing = await hub.api('/api/v1/tasks/999999/output?search=a');
    expect(missing.status).toBe(404);
  });
});
