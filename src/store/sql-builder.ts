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
  /** `expression` is one of a list of integers passed as one parameter (its placeholder). */
  inIntegers(expression: string, placeholder: string): string;
  /** How that one parameter is passed. */
  integerList(values: readonly number[]): unknown;
  /** A boolean column is false, as a literal condition (a partial index's own words: a parameter would not match it). */
  isFalse(column: string): string;
}

export const sqliteDialect: Dialect = {
  placeholder: () => '?',
  ilike: 'LIKE',
  inIntegers: (expression, placeholder) => `${expression} IN (SELECT value FROM json_each(${placeholder}))`,
  integerList: (values) => JSON.stringify(values),
  isFalse: (column) => `${column} = 0`,
};

export const postgresDialect: Dialect = {
  placeholder: (index) => `$${index}`,
  ilike: 'ILIKE',
  inIntegers: (expression, placeholder) => `${expression} = ANY(${placeholder}::bigint[])`,
  integerList: (values) => values,
  isFalse: (column) => `NOT ${column}`,
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

  /** `expression` is one of `values` (integers), passed as one parameter whatever their number. */
  inIntegers(expression: string, values: readonly number[]): string {
    return this.dialect.inIntegers(expression, this.param(this.dialect.integerList(values)));
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
