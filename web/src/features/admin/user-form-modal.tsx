import { Alert, Button, Group, Modal, PasswordInput, Stack, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { type ManagedUser, useCreateUser, useUpdateUser } from '../../api/admin-queries.js';
import { isApiError } from '../../api/api-error.js';
import type { Role } from '../../domain.js';
import { RoleSelect } from './role-select.js';
import { SitesInput } from './sites-input.js';

/**
 * Adds a user (`user` null) or changes one's role, sites and e-mail address. The server checks
 * every value again; its answer lands on the field it names.
 */
export function UserFormModal({ user, opened, onClose }: { user: ManagedUser | null; opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title={user ? `Edit ${user.username}` : 'Add user'}>
      {/* Keyed: each opening starts from the user as it is now. */}
      {opened ? <UserForm key={user?.username ?? ''} user={user} onDone={onClose} /> : null}
    </Modal>
  );
}

function UserForm({ user, onDone }: { user: ManagedUser | null; onDone: () => void }) {
  const [username, setUsername] = useState(user?.username ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>(user?.role ?? 'viewer');
  const [sites, setSites] = useState<string[] | null>(user ? user.sites : null);
  const [email, setEmail] = useState(user?.email ?? '');
  const create = useCreateUser();
  const update = useUpdateUser();
  const mutation = user ? update : create;
  const problems = isApiError(mutation.error) ? mutation.error.fields : [];
  const problem = (field: string) => problems.find((f) => f.path === `body.${field}` || f.path === field)?.message;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const done = (name: string) => {
      notifications.show({ title: user ? 'User changed' : 'User added', message: name });
      onDone();
    };
    if (user) {
      update.mutate({ name: user.username, patch: { role, sites, email: email.trim() || null } }, { onSuccess: (u) => done(u.username) });
    } else {
      create.mutate({ username: username.trim(), password, role, sites, email: email.trim() || null }, { onSuccess: (u) => done(u.username) });
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        {user ? null : (
          <>
            <TextInput
              label="Username"
              required
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              error={problem('username')}
              data-autofocus
            />
            <PasswordInput
              label="Password"
              description="At least 12 characters; the user can change it after signing in"
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={problem('password')}
              autoComplete="new-password"
            />
          </>
        )}
        <RoleSelect value={role} onChange={setRole} people />
        <SitesInput value={sites} onChange={setSites} error={problem('sites')} />
        <TextInput
          label="E-mail address"
          description="Where notifications go; optional"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={problem('email')}
        />
        {mutation.isError && problems.length === 0 ? (
          <Alert color="red" role="alert" title={user ? 'The user was not changed' : 'The user was not added'}>
            {mutation.error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={mutation.isPending}>
            {user ? 'Save' : 'Add user'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
