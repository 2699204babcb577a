import { Alert, Autocomplete, Button, Group, NumberInput, Select, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { isApiError } from '../../api/api-error.js';
import { useSites } from '../../api/catalog-queries.js';
import { useSubmitJob } from '../../api/job-mutations.js';
import { useQueues } from '../../api/queue-queries.js';
import type { WorkflowInfo } from '../../api/types.js';
import { useCurrentUser } from '../auth/current-user.js';
import { SchemaFieldInput } from './schema-field-input.js';
import { type FieldValue, fieldSpecs, initialValues, toFields } from './schema-fields.js';
import { notifySubmitted } from './submitted-job-notice.js';

/** The form of one workflow: its fields from the schema, plus where and on which queue to run. */
export function SubmitJobForm({ workflow, onDone }: { workflow: WorkflowInfo; onDone: () => void }) {
  const specs = useMemo(() => fieldSpecs(workflow.fieldsSchema, workflow.secretFields), [workflow]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(specs));
  // A user limited to sites starts at their first one: the hub's default site may not be theirs.
  const user = useCurrentUser();
  const [site, setSite] = useState<string | null>(() => user.sites?.[0] ?? null);
  const [queue, setQueue] = useState('');
  const [priority, setPriority] = useState<number | string>('');
  const [runAt, setRunAt] = useState('');
  const [idempotencyKey, setIdempotencyKey] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const sites = useSites();
  const queues = useQueues();
  const submit = useSubmitJob();
  const navigate = useNavigate();

  // Schema checks name the request part (`body.queue`); the workflow's own checks do not (`fields.tasks`).
  const serverProblems = isApiError(submit.error) ? submit.error.fields.map((f) => ({ ...f, path: f.path.replace(/^body\./, '') })) : [];
  const serverProblem = (path: string) => serverProblems.find((f) => f.path === path)?.message;
  const known = new Set([...specs.map((s) => `fields.${s.name}`), 'site', 'queue', 'priority', 'runAt', 'idempotencyKey']);
  const unplaced = serverProblems.filter((f) => !known.has(f.path));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const { fields, problems: found } = toFields(specs, values);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    submit.mutate(
      {
        workflow: workflow.name,
        fields,
        site: site ?? undefined,
        queue: queue.trim() || undefined,
        priority: typeof priority === 'number' ? priority : undefined,
        // datetime-local is the browser's local time; the API takes an instant.
        runAt: runAt ? new Date(runAt).toISOString() : undefined,
        idempotencyKey: idempotencyKey.trim() || undefined,
      },
      {
        onSuccess: (job) => {
          notifySubmitted(job.id);
          onDone();
          navigate(`/jobs/${job.id}`);
        },
      },
    );
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label={`New ${workflow.label} job`}>
      <Stack gap="sm">
        {specs.map((spec) => (
          <SchemaFieldInput
            key={spec.name}
            spec={spec}
            value={values[spec.name]}
            error={problems[spec.name] ?? serverProblem(`fields.${spec.name}`)}
            onChange={(value) => setValues((current) => ({ ...current, [spec.name]: value }))}
          />
        ))}
        <Select
          label="Site"
          placeholder="Default site"
          description="Where the job runs; empty for the hub's default site"
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
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" verticalSpacing="sm">
          <NumberInput
            label="Priority"
            description="−1000 to 1000; higher starts first in its queue"
            placeholder="0"
            min={-1000}
            max={1000}
            allowDecimal={false}
            clampBehavior="none"
            value={priority}
            onChange={setPriority}
            error={serverProblem('priority')}
          />
          <TextInput
            type="datetime-local"
            label="Run at"
            description="Empty: as soon as possible (your time zone)"
            value={runAt}
            onChange={(e) => setRunAt(e.currentTarget.value)}
            error={serverProblem('runAt')}
          />
        </SimpleGrid>
        <TextInput
          label="Idempotency key"
          description="Optional: submitting again with the same key returns the first job instead of a new one"
          maxLength={200}
          value={idempotencyKey}
          onChange={(e) => setIdempotencyKey(e.currentTarget.value)}
          error={serverProblem('idempotencyKey')}
        />
        {submit.isError && (unplaced.length > 0 || serverProblems.length === 0) ? (
          <Alert color="red" role="alert" title="The job was not submitted">
            {submit.error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={submit.isPending}>
            Submit job
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
