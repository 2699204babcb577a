import { Alert, Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { type FormEvent, useState } from 'react';
import { type ManagedUser, useUpdateUser } from '../../api/admin-queries.js';
import { isApiError } from '../../api/api-error.js';

/** Sets a new password for someone else; the hub ends their sessions everywhere. */
export function ResetPasswordModal({ user, onClose }: { user: ManagedUser | null; onClose: () => void }) {
  return (
    <Modal opened={user !== null} onClose={onClose} title={user ? `Reset the password of ${user.username}` : ''}>
      {user ? <ResetForm key={user.username} user={user} onDone={onClose} /> : null}
    </Modal>
  );
}

function ResetForm({ user, onDone }: { user: ManagedUser; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const update = useUpdateUser();
  const problem = isApiError(update.error) ? update.error.fields[0]?.message : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate(
      { name: user.username, patch: { password } },
      {
        onSuccess: () => {
          notifications.show({ title: 'Password reset', message: `${user.username} is signed out everywhere and signs in with the new password.` });
          onDone();
        },
      },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm">They are signed out everywhere; tell them the new password by a channel you trust.</Text>
        <PasswordInput
          label="New password"
          required
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={problem}
          autoComplete="new-password"
          data-autofocus
        />
        {update.isError && !problem ? (
          <Alert color="red" role="alert" title="The password was not reset">
            {update.error.message}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={update.isPending}>
            Reset password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
