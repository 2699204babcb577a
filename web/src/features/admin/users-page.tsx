import { Badge, Button, Group, Menu, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { type ManagedUser, useUpdateUser, useUsers } from '../../api/admin-queries.js';
import { ConfirmDialog } from '../../components/ui/confirm-button.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { useCurrentUser } from '../auth/current-user.js';
import { AdminOnly } from './admin-only.js';
import { ResetPasswordModal } from './reset-password-modal.js';
import { sitesLabel } from './sites-input.js';
import { UserFormModal } from './user-form-modal.js';

/** Users: add, change role, sites and e-mail, disable or enable, reset a password. Admins only. */
export function UsersPage() {
  return (
    <AdminOnly title="Users">
      <Users />
    </AdminOnly>
  );
}

function Users() {
  const users = useUsers();
  const me = useCurrentUser();
  const update = useUpdateUser();
  const [editing, setEditing] = useState<ManagedUser | null>(null);
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<ManagedUser | null>(null);
  const [disabling, setDisabling] = useState<ManagedUser | null>(null);
  const rows = users.data ?? [];

  const setDisabled = (user: ManagedUser, disabled: boolean) =>
    update.mutate(
      { name: user.username, patch: { disabled } },
      {
        onSuccess: () => notifications.show({ title: disabled ? 'User disabled' : 'User enabled', message: user.username }),
        onError: (error) => notifications.show({ color: 'red', title: 'Not changed', message: error.message }),
      },
    );

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Users
        </Title>
        <Button leftSection={<Icon name="plus" />} onClick={() => setAdding(true)}>
          Add user
        </Button>
      </Group>
      <ErrorAlert error={users.error} title="Could not load users" onRetry={() => void users.refetch()} />
      <Table.ScrollContainer minWidth={820}>
        <Table striped highlightOnHover fz="sm" verticalSpacing={6} aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Sites</Table.Th>
              <Table.Th>E-mail</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Password changed</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {listStatus(users, rows.length) ? (
              <Table.Tr>
                <Table.Td colSpan={8}>
                  <ListState status={listStatus(users, rows.length) ?? 'empty'} empty="No users." onRetry={() => void users.refetch()} />
                </Table.Td>
              </Table.Tr>
            ) : (
              rows.map((user) => (
                <Table.Tr key={user.username} data-testid="user-row" data-username={user.username}>
                  <Table.Td fw={600}>
                    {user.username}
                    {user.username === me.name ? (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        (you)
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    {user.disabled ? <StatusBadge label="Disabled" color="gray" icon="slash" /> : <StatusBadge label="Active" color="green" icon="check" />}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="default" tt="none" size="sm">
                      {user.role}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{sitesLabel(user.sites)}</Table.Td>
                  <Table.Td>{user.email ?? '—'}</Table.Td>
                  <Table.Td>
                    <DateTime value={user.createdAt} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={user.passwordChangedAt} />
                  </Table.Td>
                  <Table.Td>
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <Button variant="default" size="xs" aria-label={`Actions for ${user.username}`}>
                          Actions
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setEditing(user)}>Edit role, sites and e-mail</Menu.Item>
                        <Menu.Item onClick={() => setResetting(user)}>Reset password</Menu.Item>
                        {user.username === me.name ? null : user.disabled ? (
                          <Menu.Item onClick={() => setDisabled(user, false)}>Enable</Menu.Item>
                        ) : (
                          <Menu.Item color="red" onClick={() => setDisabling(user)}>
                            Disable
                          </Menu.Item>
                        )}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <UserFormModal
        user={editing}
        opened={adding || editing !== null}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
      />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
      <ConfirmDialog
        opened={disabling !== null}
        onClose={() => setDisabling(null)}
        title={`Disable ${disabling?.username ?? ''}?`}
        message="They are signed out everywhere and cannot sign in until enabled again; every token they made is revoked."
        confirmLabel="Disable user"
        color="red"
        onConfirm={() => {
          if (disabling) setDisabled(disabling, true);
        }}
      />
    </Stack>
  );
}
