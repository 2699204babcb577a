import fc from 'fast-check';

/**
 * fast-check arbitraries that turn an OpenAPI operation into HTTP requests: mostly malformed
 * (wrong types, out-of-range and huge numbers, control characters, lone surrogates, long
 * strings, deep nesting, extra and missing keys, bodies that are not JSON), some well-formed.
 * Used by test/api/fuzz.test.ts; knows nothing about Switchyard beyond the `realistic` values
 * a caller passes in, which let well-formed requests reach the store with ids that exist.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/v1/jobs/{id}. */
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  body: JsonSchema | null;
}

export interface FuzzRequest {
  url: string;
  /** undefined: no body at all. */
  body?: string;
  contentType?: string;
  /** Which credential to send: the test maps it to a token. */
  auth: 'admin' | 'worker' | 'none' | 'garbage';
}

/** Values by parameter or property name that make a request reach real rows. */
export type Realistic = Record<string, fc.Arbitrary<unknown>>;

/** The operations of an OpenAPI 3 document. */
export function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: unknown[]; requestBody?: unknown }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as Operation['params'];
      const body = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)?.content?.['application/json']?.schema ?? null;
      ops.push({ method: method.toUpperCase(), path, params, body });
    }
  }
  return ops;
}

/** Marks the spot where a JSON text nested DEEP_LEVELS levels replaces a value (too big to build as an object). */
const DEEP = '\u0001deep\u0001';
const DEEP_LEVELS = 100_000;
const deepText = `${'['.repeat(DEEP_LEVELS)}${']'.repeat(DEEP_LEVELS)}`;

const nest = (levels: number, leaf: unknown, asObject: boolean): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = asObject ? { a: value } : [value];
  return value;
};

/** One malformed value of any JSON type. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    1e19,
    -1e19,
    9e15,
    -9e15,
    2 ** 31,
    2 ** 63,
    Number.MAX_SAFE_INTEGER + 2,
    -1,
    0,
    1.5,
    1e-300,
    'NaN',
    'Infinity',
    '-1',
    '1e19',
    '9e15',
    '0x10',
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\u001f\u007f',
    '\u202e\ufeff',
    '💥'.repeat(100),
    'x'.repeat(70_000),
    '%00',
    "'; DROP TABLE jobs; --",
    '2024-02-30T25:61:00Z',
    '0001-01-01T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    null,
    true,
    false,
    [],
    {},
    [null],
    JSON.parse('{"__proto__":{"polluted":true}}'),
    { constructor: { prototype: { polluted: true } } },
    DEEP,
  ),
  fc.constantFrom(65, 200, 1000).chain((levels) => fc.boolean().map((asObject) => nest(levels, 'leaf\u0000', asObject))),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udc00', 'a', '\n', '\u007f'), maxLength: 10 }),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => Number(n)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** A value the schema accepts (nearly always; patterns are not honoured). */
export function valid(schema: JsonSchema, realistic: Realistic, key = ''): fc.Arbitrary<unknown> {
  const generic = validGeneric(schema, realistic);
  return realistic[key] ? fc.oneof({ arbitrary: realistic[key], weight: 3 }, { arbitrary: generic, weight: 1 }) : generic;
}

function validGeneric(schema: JsonSchema, realistic: Realistic): fc.Arbitrary<unknown> {
  if (schema.nullable) return fc.oneof(validGeneric({ ...schema, nullable: false }, realistic), fc.constant(null));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((s) => validGeneric(s, realistic)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer': {
      const min = Math.max((schema.minimum ?? -1_000_000) + (schema.exclusiveMinimum === true ? 1 : 0), Number.MIN_SAFE_INTEGER);
      return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(schema.maximum ?? 1_000_000, 2 ** 31) });
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'string': {
      const short = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.max(schema.minLength ?? 0, Math.min(schema.maxLength ?? 24, 24)) });
      // As long as allowed, in characters of 1 to 4 UTF-8 bytes, repeated or random (which no
      // compression shrinks): what an index row or a column may not hold.
      const length = Math.min(schema.maxLength ?? 70_000, 70_000);
      const longest = fc.tuple(fc.constantFrom(0x78, 0xe9, 0x4e00, 0x1f4a5), fc.boolean(), fc.integer()).map(([base, random, seed]) => {
        const char = String.fromCodePoint(base);
        if (!random) return char.repeat(Math.floor(length / char.length));
        let state = seed;
        const points: number[] = [];
        for (let units = 0; units + char.length <= length; units += char.length) {
          state = (Math.imul(state, 1_103_515_245) + 12_345) | 0;
          points.push(base === 0x78 ? 0x21 + ((state >>> 8) % 94) : base + ((state >>> 8) % 2000));
        }
        return points.map((point) => String.fromCodePoint(point)).join('');
      });
      return fc.oneof({ arbitrary: short, weight: 9 }, { arbitrary: longest, weight: 1 });
    }
    case 'array':
      return fc.array(schema.items ? valid(schema.items, realistic) : fc.jsonValue({ maxDepth: 2 }), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'object': {
      const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valid(s, realistic, k)]));
      const record = fc.record(props, { requiredKeys: schema.required ?? [] });
      if (schema.additionalProperties === false || schema.properties) return record;
      return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

type Mutation = 'replace' | 'extraKey' | 'dropKey' | 'wrapInArray' | 'none';

/** `value` with one node, picked by `pick`, broken by `mutation`. */
function mutate(value: unknown, mutation: Mutation, pick: number, bad: unknown): unknown {
  if (mutation === 'none') return value;
  const copy = structuredClone(value);
  const nodes: { parent: Record<string, unknown> | unknown[] | null; key: string | number; node: unknown }[] = [{ parent: null, key: '', node: copy }];
  for (let i = 0; i < nodes.length && nodes.length < 500; i++) {
    const { node } = nodes[i];
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) nodes.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(k) : k, node: v });
    }
  }
  const target = nodes[pick % nodes.length];
  const set = (replacement: unknown) => {
    if (target.parent === null) return replacement;
    (target.parent as Record<string | number, unknown>)[target.key] = replacement;
    return copy;
  };
  switch (mutation) {
    case 'replace':
      return set(bad);
    case 'wrapInArray':
      return set([target.node]);
    case 'extraKey':
      if (target.node && typeof target.node === 'object' && !Array.isArray(target.node)) {
        (target.node as Record<string, unknown>)[`extra${pick % 7}`] = bad;
        return copy;
      }
      return set({ unexpected: bad });
    case 'dropKey':
      if (target.parent && !Array.isArray(target.parent)) delete (target.parent as Record<string, unknown>)[target.key as string];
      return copy;
  }
}

const mutation = fc.constantFrom<Mutation>('replace', 'replace', 'replace', 'extraKey', 'dropKey', 'wrapInArray', 'none');

/** A mostly malformed JSON value for `schema`. */
export function malformed(schema: JsonSchema, realistic: Realistic, key = ''): fc.Arbitrary<unknown> {
  return fc.tuple(valid(schema, realistic, key), mutation, fc.nat(), nasty).map(([v, m, pick, bad]) => mutate(v, m, pick, bad));
}

/** JSON text, where a DEEP marker becomes a value nested 100,000 levels. */
function toJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.includes(JSON.stringify(DEEP).slice(1, -1)) ? text.replace(JSON.stringify(DEEP), deepText) : text;
}

/** Text for a URL: percent-encoded UTF-8, lone surrogates as their raw (invalid) UTF-8 bytes. */
function urlText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff)
      out += `%${[0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => b.toString(16).toUpperCase()).join('%')}`;
    else out += encodeURIComponent(char);
  }
  return out;
}

/** Raw URL pieces no encoder produces: bad escapes, encoded NUL and slashes, invalid UTF-8. */
const rawUrlPiece = fc.constantFrom('%', '%zz', '%00', '%ED%A0%80', '%C0%80', '%FF', '..%2F..', '%2F', 'a%20b', '1%00');

/** A mostly malformed request for `op`. */
export function requestFor(op: Operation, realistic: Realistic, auth: fc.Arbitrary<FuzzRequest['auth']>): fc.Arbitrary<FuzzRequest> {
  const paramValue = (p: Operation['params'][number]) =>
    fc.oneof(
      { arbitrary: valid(p.schema, realistic, p.name).map((v) => (Array.isArray(v) ? v.map(urlText).join(',') : urlText(v))), weight: 3 },
      { arbitrary: malformed(p.schema, realistic, p.name).map(urlText), weight: 3 },
      { arbitrary: rawUrlPiece, weight: 1 },
    );
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map(paramValue)).map((values) => pathParams.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i]), op.path));
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(fc.array(paramValue(p), { minLength: 1, maxLength: 2 }), { freq: 2 }))),
      fc.option(fc.tuple(fc.string({ maxLength: 8 }), paramValue({ name: '', in: 'query', schema: {} })), { freq: 4 }),
    )
    .map(([values, extra]) => {
      const pairs = queryParams.flatMap((p, i) => (values[i] ?? []).map((v) => `${encodeURIComponent(p.name)}=${v}`));
      if (extra) pairs.push(`${urlText(extra[0])}=${extra[1]}`);
      return pairs.length ? `?${pairs.join('&')}` : '';
    });
  const json = 'application/json';
  const body: fc.Arbitrary<Pick<FuzzRequest, 'body' | 'contentType'>> = op.body
    ? fc.oneof(
        { arbitrary: valid(op.body, realistic).map((v) => ({ body: toJson(v), contentType: json })), weight: 2 },
        { arbitrary: malformed(op.body, realistic).map((v) => ({ body: toJson(v), contentType: json })), weight: 6 },
        {
          arbitrary: fc
            .constantFrom('', '{', 'null', '[]', '"x"', '{"a":', 'not json', '\u0000', '{"a":1}{"b":2}', deepText, '{"__proto__":{"x":1}}', '1e400')
            .map((text) => ({ body: text, contentType: json })),
          weight: 1,
        },
        {
          arbitrary: fc.constantFrom({}, { body: 'a=1', contentType: 'application/x-www-form-urlencoded' }, { body: '{}', contentType: 'text/plain' }),
          weight: 1,
        },
      )
    : fc.oneof(
        { arbitrary: fc.constant({}), weight: 8 },
        { arbitrary: fc.constantFrom({ body: '{"x":1}', contentType: json }, { body: '{', contentType: json }), weight: 1 },
      );
  return fc.tuple(path, query, body, auth).map(([p, q, b, a]) => ({ url: `${p}${q}`, ...b, auth: a }));
}
