/** Plain-text tables for terminals: columns padded to their widest cell, headed by their names in capitals (`activeJobs` → `ACTIVE JOBS`). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((row) => columns.map((column) => text(row[column])));
  const headings = columns.map(heading);
  const widths = columns.map((_, i) => Math.max(headings[i].length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headings), ...cells.map(line)].join('\n');
}

/** A column's heading: its words apart, in capitals. */
export function heading(column: string): string {
  return column.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toUpperCase();
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '-';
  // Control characters from job data must not drive the terminal.
  return String(value).replace(/[\u0000-\u001f\u007f]/g, ' ');
}

export function since(iso: string | null): string {
  if (!iso) return '-';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 19);
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
