import { Alert, Button, Code, CopyButton, Group, Modal, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useCreateToken } from '../../api/admin-queries.js';
import { isApiError } from '../../api/api-error.js';
import type { Role } from '../../domain.js';
import { RoleSelect } from './role-select.js';
import { SitesInput } from './sites-input.js';

/**
 * Creates a token and shows its secret once: the hub keeps only a hash, so closing this dialog
 * is the last chance to copy it.
 */
export function TokenCreateModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const close = () => {
    setSecret(null);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={secret ? `Token ${secret.name} created` : 'Create token'} closeOnClickOutside={!secret}>
      {secret ? <SecretOnce token={secret.token} onDone={close} /> : opened ? <TokenForm onCreated={setSecret} /> : null}
    </Modal>
  );
}

function SecretOnce({ token, onDone }: { token: string; onDone: () => void }) {
  return (
    <Stack gap="sm">
      <Alert color="yellow" title="Copy it now" variant="light">
        This is the only time the secret is shown. Store it where the worker or script will read it.
      </Alert>
      <Code block data-testid="token-secret" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>
        {token}
      </Code>
      <Group justify="flex-end">
        <CopyButton value={token}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

function TokenForm({ onCreated }: { onCreated: (secret: { name: string; token: string }) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('worker');
  const [sites, setSites] = useState<string[] | null>(null);
  const [days, setDays] = useState<number | string>('');
  const create = useCreateToken();
  const problems = isApiError(create.error) ? create.error.fields : [];
  const problem = (field: string) => problems.find((f) => f.path === `body.${field}`)?.message;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name: name.trim(), role, sites, ...(typeof days === 'number' ? { expiresInDays: days } : {}) },
      { onSuccess: (created) => onCreated({ name: created.name, token: created.token }) },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <TextInput
          label="Name"
          description="What uses it, e.g. worker-paris-1"
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={problem('name')}
          data-autofocus
        />
        <RoleSelect value={role} onChange={setRole} />
        <SitesInput value={sites} onChange={setSites} error={problem('sites')} />
        <NumberInput
          label="Expires after (days)"
          description="Empty: never"
          min={1}
          max={3650}
          allowDecimal={false}
          value={days}
          onChange={setDays}
          error={problem('expiresInDays')}
        />
        {create.isError && problems.length === 0 ? (
          <Alert color="red" role="alert" title="The token was not created">
            {create.error.message}
          </Alert>
        ) : null}
        <Text size="xs" c="dimmed">
          The secret is shown once, on the next screen.
        </Text>
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            Create token
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
