import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseConcurrency,
  parseDatabaseUrl,
  parseHubUrl,
  parseLeaseMs,
  parseLimit,
  parsePort,
  parsePriority,
  parseRunAt,
  parseTokenFile,
} from '../../src/cli/options.js';

// Each row: parser, input, the parsed value or `refused`.
const refused = Symbol('refused');
const cases: Array<[name: string, parse: (value: string) => unknown, input: string, expected: unknown]> = [
  ['concurrency', parseConcurrency, '16', 16],
  ['concurrency', parseConcurrency, '1000', 1000],
  ['concurrency', parseConcurrency, '0', refused],
  ['concurrency', parseConcurrency, '1001', refused],
  ['concurrency', parseConcurrency, 'abc', refused],
  ['concurrency', parseConcurrency, '12abc', refused],
  ['concurrency', parseConcurrency, '1e3', refused],
  ['concurrency', parseConcurrency, '2.5', refused],
  ['concurrency', parseConcurrency, '', refused],
  ['port', parsePort, '0', 0],
  ['port', parsePort, '65535', 65535],
  ['port', parsePort, '65536', refused],
  ['port', parsePort, '-1', refused],
  ['lease', parseLeaseMs, '1000', 1000],
  ['lease', parseLeaseMs, '3600000', 3_600_000],
  ['lease', parseLeaseMs, '999', refused],
  ['priority', parsePriority, '-1000', -1000],
  ['priority', parsePriority, '1001', refused],
  ['limit', parseLimit, '500', 500],
  ['limit', parseLimit, '501', refused],
  ['db', parseDatabaseUrl, 'postgres://u:p@db:5432/swy', 'postgres://u:p@db:5432/swy'],
  ['db', parseDatabaseUrl, 'postgresql://db/swy', 'postgresql://db/swy'],
  ['db', parseDatabaseUrl, 'mysql://db/swy', refused],
  ['db', parseDatabaseUrl, 'sqlite:///tmp/x.db', refused],
  ['db', parseDatabaseUrl, './switchyard.db', refused],
  ['db', parseDatabaseUrl, '', refused],
  ['hub', parseHubUrl, 'http://127.0.0.1:4680', 'http://127.0.0.1:4680'],
  ['hub', parseHubUrl, 'https://hub.example/', 'https://hub.example/'],
  ['hub', parseHubUrl, 'not a url', refused],
  ['hub', parseHubUrl, 'ftp://hub.example', refused],
  ['hub', parseHubUrl, 'localhost:4680', refused],
  ['run-at', parseRunAt, '2026-12-31T18:00:00Z', '2026-12-31T18:00:00.000Z'],
  ['run-at', parseRunAt, '2026-12-31T18:00:00+02:00', '2026-12-31T16:00:00.000Z'],
  ['run-at', parseRunAt, '2026-12-31', '2026-12-31T00:00:00.000Z'],
  ['run-at', parseRunAt, '2000-01-01', '2000-01-01T00:00:00.000Z'],
  ['run-at', parseRunAt, '1999-12-31T23:59:59Z', refused],
  ['run-at', parseRunAt, '2026-02-30', refused],
  ['run-at', parseRunAt, 'tomorrow', refused],
  ['run-at', parseRunAt, '12/31/2026', refused],
];

describe('CLI option parsers', () => {
  it.each(cases)('%s %j', (_name, parse, input, expected) => {
    if (expected === refused) expect(() => parse(input)).toThrow(InvalidArgumentError);
    else expect(parse(input)).toEqual(expected);
  });

  describe('parseTokenFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-token-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = (name: string, text: string, mode: number) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      chmodSync(path, mode);
      return path;
    };

    it('answers the first line, trimmed', () => {
      expect(parseTokenFile(tokenFile('ok', '  swy_abc123  \r\nsecond line\n', 0o600))).toBe('swy_abc123');
    });

    it.skipIf(process.platform === 'win32')('refuses a file group or others can read, suggesting chmod 600', () => {
      expect(() => parseTokenFile(tokenFile('open', 'swy_abc123\n', 0o644))).toThrow(/chmod 600/);
      expect(() => parseTokenFile(tokenFile('group', 'swy_abc123\n', 0o640))).toThrow(/group or others/);
    });

    it('refuses an empty or missing file', () => {
      expect(() => parseTokenFile(tokenFile('empty', '\n', 0o600))).toThrow(/empty/);
      expect(() => parseTokenFile(join(dir, 'missing'))).toThrow(/Cannot read/);
    });
  });
});
