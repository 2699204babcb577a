/**
 * A small WHERE-clause builder shared by both backends for the list queries whose filters
 * vary per request. Values always travel as parameters; only column names chosen from fixed
 * maps are spliced into the SQL.
 */
export interface Dialect {
  /** `?` for SQLite, `$1, $2…` for PostgreSQL. */
  placeholder(index: number): string;
  /** Case-insensitive LIKE. */
  ilike: string;
}

export const sqliteDialect: Dialect = {
  placeholder: () => '?',
  ilike: 'LIKE',
};

export const postgresDialect: Dialect = {
  placeholder: (index) => `$${index}`,
  ilike: 'ILIKE',
};

export class WhereBuilder {
  private readonly clauses: string[] = [];

  /** `params` may be shared by several builders of one statement (its parts in the order they appear). */
  constructor(
    readonly dialect: Dialect,
    readonly params: unknown[] = [],
  ) {}

  /** Adds a parameter and returns its placeholder. */
  param(value: unknown): string {
    this.params.push(value);
    return this.dialect.placeholder(this.params.length);
  }

  add(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  in(column: string, values: readonly unknown[] | undefined): this {
    if (values === undefined) return this;
    if (values.length === 0) return this.add('1 = 0');
    return this.add(`${column} IN (${values.map((v) => this.param(v)).join(', ')})`);
  }

  /** Case-insensitive substring match; `%`, `_` and `\` in the needle match themselves. */
  contains(expression: string, needle: string): string {
    const escaped = needle.replace(/[\\%_]/g, (c) => `\\${c}`);
    return `${expression} ${this.dialect.ilike} ${this.param(`%${escaped}%`)} ESCAPE '\\'`;
  }

  /** Case-insensitive prefix match; `%`, `_` and `\` in the prefix match themselves. */
  startsWith(expression: string, prefix: string): string {
    const escaped = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
    return `${expression} ${this.dialect.ilike} ${this.param(`${escaped}%`)} ESCAPE '\\'`;
  }

  sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/**
 * Renders a list of our own constant names (states, never user input) as an SQL list,
 * `('running', 'paused')`, so that queries name the model's state sets instead of copies of
 * them. Throws on anything but plain lowercase names, and on an empty list.
 */
export function sqlList(values: readonly string[]): string {
  if (values.length === 0) throw new Error('sqlList: an empty list is not valid SQL');
  for (const value of values) if (!/^[a-z][a-z_]*$/.test(value)) throw new Error(`sqlList: ${JSON.stringify(value)} is not a constant name`);
  return `(${values.map((value) => `'${value}'`).join(', ')})`;
}
