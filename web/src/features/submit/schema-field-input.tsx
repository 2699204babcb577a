import { Checkbox, JsonInput, NumberInput, PasswordInput, Select, TextInput } from '@mantine/core';
import type { FieldSpec, FieldValue } from './schema-fields.js';

interface Props {
  spec: FieldSpec;
  value: FieldValue;
  error?: string;
  onChange: (value: FieldValue) => void;
}

/** One input of the submit form, chosen by the kind of the schema property. */
export function SchemaFieldInput({ spec, value, error, onChange }: Props) {
  const common = { label: spec.label, description: spec.description ?? undefined, error, required: spec.required, name: `fields.${spec.name}` };
  switch (spec.kind) {
    case 'number':
      return (
        <NumberInput
          {...common}
          value={value === null ? '' : (value as number | string)}
          onChange={(v) => onChange(v)}
          min={spec.min}
          max={spec.max}
          allowDecimal={!spec.integer}
          // Out-of-range values stay as typed so the user sees why they are refused.
          clampBehavior="none"
        />
      );
    case 'boolean':
      return (
        <Checkbox
          label={spec.label}
          description={common.description}
          error={error}
          name={common.name}
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
      );
    case 'enum':
      return <Select {...common} data={spec.options} value={(value as string | null) ?? null} onChange={(v) => onChange(v)} allowDeselect={!spec.required} />;
    case 'json':
      return <JsonInput {...common} value={String(value ?? '')} onChange={(v) => onChange(v)} autosize minRows={2} formatOnBlur />;
    case 'string':
      return spec.secret ? (
        <PasswordInput {...common} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value)} autoComplete="off" />
      ) : (
        <TextInput {...common} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value)} maxLength={spec.maxLength} />
      );
  }
}
