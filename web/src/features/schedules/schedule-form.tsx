import { Alert, Autocomplete, Button, Checkbox, Group, NumberInput, SegmentedControl, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useMemo, useState } from 'react';
import { isApiError } from '../../api/api-error.js';
import { useSites } from '../../api/catalog-queries.js';
import { useQueues } from '../../api/queue-queries.js';
import { type ScheduleInput, useSaveSchedule } from '../../api/schedule-queries.js';
import type { Schedule, WorkflowInfo } from '../../api/types.js';
import { CatchUpRules, describeSchedule, OverlapRules } from '../../domain.js';
import { SchemaFieldInput } from '../submit/schema-field-input.js';
import { type FieldSpec, type FieldValue, fieldSpecs, initialValues, toFields } from '../submit/schema-fields.js';

const OVERLAP_WORDS: Record<string, string> = {
  skip: 'Skip the run (default)',
  queue: 'Queue one run for when it ends',
  'cancel-previous': 'Cancel the previous run',
  allow: 'Run both',
};
const CATCH_UP_WORDS: Record<string, string> = {
  none: 'None: drop missed runs',
  latest: 'Latest: run the most recent one (default)',
  all: 'All of them (up to the limit)',
};

const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

/** A stored field value as the input holds it (JSON fields as text). */
function toValue(spec: FieldSpec, value: unknown): FieldValue {
  if (value === undefined) return spec.default;
  if (spec.kind === 'json') return JSON.stringify(value, null, 2);
  return value as FieldValue;
}

/**
 * Add or edit a schedule: the workflow's fields rendered from its schema (as New job does),
 * where and on which queue the jobs run, and when — a cron expression in a time zone, or an
 * interval — read back in words as it is typed.
 */
export function ScheduleForm({ workflow, schedule, onDone }: { workflow: WorkflowInfo; schedule: Schedule | null; onDone: (saved: Schedule) => void }) {
  const specs = useMemo(() => fieldSpecs(workflow.fieldsSchema, workflow.secretFields), [workflow]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => {
    const initial = initialValues(specs);
    if (!schedule || schedule.workflow !== workflow.name) return initial;
    return Object.fromEntries(specs.map((spec) => [spec.name, toValue(spec, schedule.fields[spec.name])]));
  });
  const [name, setName] = useState(schedule?.name ?? '');
  const [site, setSite] = useState<string | null>(schedule?.site ?? null);
  const [queue, setQueue] = useState(schedule?.queue ?? '');
  const [mode, setMode] = useState<'cron' | 'interval'>(schedule?.everyMs ? 'interval' : 'cron');
  const [cron, setCron] = useState(schedule?.cron ?? '0 0 2 * * *');
  const [timezone, setTimezone] = useState(schedule?.timezone ?? 'UTC');
  const [everySeconds, setEverySeconds] = useState<number | string>(schedule?.everyMs ? schedule.everyMs / 1000 : 3600);
  const [overlap, setOverlap] = useState(schedule?.overlap ?? 'skip');
  const [catchUp, setCatchUp] = useState(schedule?.catchUp ?? 'latest');
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const sites = useSites();
  const queues = useQueues();
  const save = useSaveSchedule(schedule?.id ?? null);

  const serverProblems = isApiError(save.error) ? save.error.fields.map((f) => ({ ...f, path: f.path.replace(/^body\./, '') })) : [];
  const serverProblem = (path: string) => serverProblems.find((f) => f.path === path)?.message;
  const known = new Set([...specs.map((s) => `fields.${s.name}`), 'name', 'site', 'queue', 'cron', 'everyMs', 'timezone']);
  const unplaced = serverProblems.filter((f) => !known.has(f.path));
  const everyMs = Math.round(Number(everySeconds) * 1000);
  const words =
    mode === 'cron'
      ? cron.trim()
        ? describeSchedule({ cron: cron.trim(), everyMs: null, timezone })
        : ''
      : describeSchedule({ cron: null, everyMs, timezone });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const { fields, problems: found } = toFields(specs, values);
    if (!name.trim()) found.name = 'Required';
    if (mode === 'cron' && !cron.trim()) found.cron = 'Required';
    if (mode === 'interval' && !(everyMs >= 1000)) found.everyMs = 'At least 1 second';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const input: ScheduleInput = {
      name: name.trim(),
      workflow: workflow.name,
      fields,
      site: site ?? undefined,
      queue: queue.trim() || undefined,
      ...(mode === 'cron' ? { cron: cron.trim(), everyMs: null, timezone } : { everyMs, cron: null }),
      overlap,
      catchUp,
      ...(schedule ? {} : { enabled }),
    };
    save.mutate(input, { onSuccess: onDone });
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={schedule ? `Edit schedule ${schedule.name}` : 'New schedule'}>
      <Stack gap="sm">
        <TextInput
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={200}
          error={problems.name ?? serverProblem('name')}
        />
        {specs.map((spec) => (
          <SchemaFieldInput
            key={spec.name}
            spec={spec}
            value={values[spec.name]}
            error={problems[spec.name] ?? serverProblem(`fields.${spec.name}`)}
            onChange={(value) => setValues((current) => ({ ...current, [spec.name]: value }))}
          />
        ))}
        <Group grow align="flex-start">
          <Select
            label="Site"
            placeholder="Default site"
            description="Where the jobs run"
            data={(sites.data ?? []).map((s) => s.name)}
            value={site}
            onChange={setSite}
            clearable
            error={serverProblem('site')}
          />
          <Autocomplete
            label="Queue"
            description={`Empty for ${workflow.queue ? `the workflow's queue (${workflow.queue})` : 'the default queue'}`}
            data={(queues.data ?? []).map((q) => q.name)}
            value={queue}
            onChange={setQueue}
            error={serverProblem('queue')}
          />
        </Group>
        <div>
          <Text size="sm" fw={500} mb={4} id="schedule-when-label">
            When
          </Text>
          <SegmentedControl
            aria-labelledby="schedule-when-label"
            value={mode}
            onChange={(v) => setMode(v as 'cron' | 'interval')}
            data={[
              { value: 'cron', label: 'Cron expression' },
              { value: 'interval', label: 'Fixed interval' },
            ]}
          />
        </div>
        {mode === 'cron' ? (
          <Group grow align="flex-start">
            <TextInput
              label="Cron"
              description="Seconds allowed: sec min hour day month weekday"
              value={cron}
              onChange={(e) => setCron(e.currentTarget.value)}
              error={problems.cron ?? serverProblem('cron')}
              styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
            />
            <Autocomplete label="Time zone" data={TIME_ZONES} limit={20} value={timezone} onChange={setTimezone} error={serverProblem('timezone')} />
          </Group>
        ) : (
          <NumberInput
            label="Every (seconds)"
            min={1}
            value={everySeconds}
            onChange={setEverySeconds}
            error={problems.everyMs ?? serverProblem('everyMs')}
            clampBehavior="none"
          />
        )}
        {words ? (
          <Text size="sm" c="dimmed" data-testid="schedule-words">
            Runs {words}
          </Text>
        ) : null}
        <Group grow align="flex-start">
          <Select
            label="If the last run is still active"
            data={OverlapRules.map((rule) => ({ value: rule, label: OVERLAP_WORDS[rule] ?? rule }))}
            value={overlap}
            onChange={(v) => v && setOverlap(v)}
            allowDeselect={false}
          />
          <Select
            label="Runs missed while no hub ran"
            data={CatchUpRules.map((rule) => ({ value: rule, label: CATCH_UP_WORDS[rule] ?? rule }))}
            value={catchUp}
            onChange={(v) => v && setCatchUp(v)}
            allowDeselect={false}
          />
        </Group>
        {schedule ? null : <Checkbox label="Enabled: start firing at once" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />}
        {save.isError && (unplaced.length > 0 || serverProblems.length === 0) ? (
          <Alert color="red" role="alert" title="The schedule was not saved">
            {save.error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {schedule ? 'Save changes' : 'Add schedule'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
