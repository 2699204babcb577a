import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgArrayLiteral, pgJson, pgJsonArrayLiteral } from '../../src/store/postgres/postgres-pool.js';
import { postgresHarness, TEST_PG_URL } from '../helpers/store-harness.js';

/**
 * The batched writes send every column as PostgreSQL's array text, built in JavaScript
 * (pgArrayLiteral, and pgJsonArrayLiteral for jsonb columns). PostgreSQL's own parser reads
 * them back here: whatever a job's fields, a result or an event may hold arrives as it was.
 */
const AWKWARD: unknown[] = [
  { plain: 'text' },
  { quote: 'say "hi"', backslash: 'C:\\temp\\new', both: '\\"' },
  { lines: 'one\ntwo\r\n\tthree', control: '\u0001\u001f', del: '\u007f' },
  { nul: 'a\u0000b', lone: 'cut \ud83d', reversed: '\udc00\ud800', emoji: '🙂 ok', separators: '\u2028\u2029' },
  { 'key "quoted"': 1, 'key\\slash': [1, '2', null, true], 'key\u0000nul': { nested: '{,}' } },
  ['{', '}', ',', 'NULL', 'null', ''],
  'just a string',
  '',
  'NULL',
  0,
  -1.5e-7,
  true,
  null,
  [],
  {},
];

describe('PostgreSQL array literals', () => {
  let client: pg.Client | null = null;
  let unavailable: string | null = null;

  beforeAll(async () => {
    unavailable = await postgresHarness().available();
    if (unavailable) {
      console.warn(`\n!!! SKIPPING PostgreSQL array literals: ${unavailable}\n`);
      return;
    }
    client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('reads jsonb columns back as the values they were made from, NULs and lone surrogates as U+FFFD', async (ctx) => {
    if (!client) return ctx.skip();
    const texts = [...AWKWARD.map(pgJson), null, undefined];
    const literal = pgJsonArrayLiteral(texts);
    expect(literal).toBe(pgArrayLiteral(texts)); // the general escape reads the same
    const { rows } = await client.query<{ v: unknown }>('SELECT v FROM unnest($1::jsonb[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [literal]);
    const clean = (text: string) =>
      text.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
    const expected = AWKWARD.map((value) =>
      JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? clean(v) : v)).replace(/\\u0000/g, '\uFFFD')),
    );
    expect(rows.map((row) => row.v)).toEqual([...expected.map(stripNulKeys), null, null]);
  });

  it('reads text columns back unchanged, with quotes, backslashes, braces, commas and the word NULL', async (ctx) => {
    if (!client) return ctx.skip();
    const values = ['plain', 'say "hi"', 'C:\\temp', '{a,b}', 'NULL', 'null', '', ' padded ', 'line\nbreak', '🙂', null];
    const { rows } = await client.query<{ v: string | null }>('SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [
      pgArrayLiteral(values),
    ]);
    expect(rows.map((row) => row.v)).toEqual(values);
  });
});

/** Keys with a NUL come back with U+FFFD in its place. */
function stripNulKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/\u0000/g, '\uFFFD'), stripNulKeys(v)]));
  return value;
}
