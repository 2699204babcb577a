import { describe, expect, it } from 'vitest';
import { csvCell } from '../../src/api/routes/job-export.js';

// Each row: the value, and the cell as written to the CSV.
const cases: Array<[label: string, value: unknown, cell: string]> = [
  ['null', null, ''],
  ['undefined', undefined, ''],
  ['plain text', 'checksum-tree', 'checksum-tree'],
  ['a number', 42, '42'],
  ['a negative number', -7, '-7'],
  ['a negative fraction', -0.5, '-0.5'],
  ['a negative number as text', '-12.5', '-12.5'],
  ['a negative exponent number as text', '-1.5e-7', '-1.5e-7'],
  ['negative infinity is text, neutralised', Number.NEGATIVE_INFINITY, '"\'-Infinity"'],
  ['a formula', '=1+1', '"\'=1+1"'],
  ['a plus sign', '+1+cmd', '"\'+1+cmd"'],
  ['a minus sign before a formula', '-2+3', '"\'-2+3"'],
  ['an at sign', '@SUM(A1:A2)', '"\'@SUM(A1:A2)"'],
  ['a formula after spaces', '   =HYPERLINK("x")', '"\'   =HYPERLINK(""x"")"'],
  ['a formula after a tab', '\t=1', '"\'\t=1"'],
  ['a formula after CR LF', '\r\n=1', '"\'\r\n=1"'],
  ['a leading tab alone', '\tdata', '"\'\tdata"'],
  ['a leading CR', '\rdata', '"\'\rdata"'],
  ['a leading LF', '\ndata', '"\'\ndata"'],
  ['a formula on the second line', 'ok\n=cmd|calc', '"\'ok\n=cmd|calc"'],
  ['a formula on a later line after spaces', 'ok\r\n  @x', '"\'ok\r\n  @x"'],
  ['a line break before ordinary text', 'line one\nline two', '"line one\nline two"'],
  ['a minus inside the text', 'a-b=c', 'a-b=c'],
  ['a comma', 'a,b', '"a,b"'],
  ['a double quote', 'say "hi"', '"say ""hi"""'],
  ['an ISO date', '2026-12-01T21:00:00.000Z', '2026-12-01T21:00:00.000Z'],
];

describe('csvCell', () => {
  it.each(cases)('%s', (_label, value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
});
