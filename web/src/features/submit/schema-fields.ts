import type { JsonSchema } from '../../api/types.js';

/** One input of the submit form, read from a property of the workflow's fields schema. */
export type FieldSpec = {
  name: string;
  label: string;
  description: string | null;
  required: boolean;
  secret: boolean;
} & (
  | { kind: 'string'; default: string; minLength?: number; maxLength?: number }
  | { kind: 'number'; integer: boolean; default: number | ''; min?: number; max?: number }
  | { kind: 'boolean'; default: boolean }
  | { kind: 'enum'; options: string[]; default: string | null }
  /** Anything else (arrays, objects, unions) is edited as JSON text. */
  | { kind: 'json'; default: string }
);

export type FieldValue = string | number | boolean | null;

/** `delayMs` → "Delay ms", `failPercent` → "Fail percent", `root_dir` → "Root dir". */
export function humanize(name: string): string {
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldSpecs(schema: JsonSchema, secretFields: readonly string[] = []): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const base = {
      name,
      label: property.title ?? humanize(name),
      description: property.description ?? null,
      // A default makes a field optional to the user even when the schema lists it as required.
      required: required.has(name) && property.default === undefined,
      secret: secretFields.includes(name) || property.format === 'password',
    };
    const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
    if (property.enum?.every((v) => typeof v === 'string')) {
      return { ...base, kind: 'enum', options: property.enum as string[], default: typeof property.default === 'string' ? property.default : null };
    }
    if (type === 'integer' || type === 'number') {
      return {
        ...base,
        kind: 'number',
        integer: type === 'integer',
        default: typeof property.default === 'number' ? property.default : '',
        min: property.minimum ?? property.exclusiveMinimum,
        max: property.maximum ?? property.exclusiveMaximum,
      };
    }
    if (type === 'boolean') return { ...base, kind: 'boolean', default: property.default === true };
    if (type === 'string') {
      return {
        ...base,
        kind: 'string',
        default: typeof property.default === 'string' ? property.default : '',
        minLength: property.minLength,
        maxLength: property.maxLength,
      };
    }
    return { ...base, kind: 'json', default: property.default === undefined ? '' : JSON.stringify(property.default, null, 2) };
  });
}

export function initialValues(specs: FieldSpec[]): Record<string, FieldValue> {
  return Object.fromEntries(specs.map((spec) => [spec.name, spec.default]));
}

/**
 * The values as the API takes them, and the problems found before asking it: empty optional
 * inputs are left out so the workflow's own defaults apply.
 */
export function toFields(specs: FieldSpec[], values: Record<string, FieldValue>): { fields: Record<string, unknown>; problems: Record<string, string> } {
  const fields: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const spec of specs) {
    const value = values[spec.name];
    const empty = value === '' || value === null || value === undefined;
    if (empty) {
      if (spec.required) problems[spec.name] = 'Required';
      continue;
    }
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) problems[spec.name] = 'Enter a number';
      else if (spec.integer && !Number.isInteger(n)) problems[spec.name] = 'Enter a whole number';
      else if (spec.min !== undefined && n < spec.min) problems[spec.name] = `At least ${spec.min}`;
      else if (spec.max !== undefined && n > spec.max) problems[spec.name] = `At most ${spec.max}`;
      else fields[spec.name] = n;
    } else if (spec.kind === 'json') {
      try {
        fields[spec.name] = JSON.parse(String(value));
      } catch {
        problems[spec.name] = 'Enter valid JSON';
      }
    } else {
      fields[spec.name] = value;
    }
  }
  return { fields, problems };
}
