import { Badge, Button, Group, Stack, Table, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { type ApiToken, useRevokeToken, useTokens } from '../../api/admin-queries.js';
import { ConfirmButton } from '../../components/ui/confirm-button.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { Icon } from '../../components/ui/icon.js';
import { ListState, listStatus } from '../../components/ui/list-state.js';
import { StatusBadge } from '../../components/ui/status-badge.js';
import { AdminOnly } from './admin-only.js';
import { sitesLabel } from './sites-input.js';
import { TokenCreateModal } from './token-create-modal.js';

const STATE_BADGE = {
  active: { label: 'Active', color: 'green', icon: 'check' },
  revoked: { label: 'Revoked', color: 'gray', icon: 'slash' },
  expired: { label: 'Expired', color: 'gray', icon: 'clock' },
} as const;

/** API tokens for workers and automation: create (the secret is shown once), revoke, see when each was last used. */
export function TokensPage() {
  return (
    <AdminOnly title="API tokens">
      <Tokens />
    </AdminOnly>
  );
}

function Tokens() {
  const tokens = useTokens();
  const revoke = useRevokeToken();
  const [creating, setCreating] = useState(false);
  const rows = tokens.data ?? [];
  const status = listStatus(tokens, rows.length);
  const onRevoke = (token: ApiToken) =>
    revoke.mutate(token.id, {
      onSuccess: () => notifications.show({ title: 'Token revoked', message: `${token.name}: the next request that carries it is refused.` }),
      onError: (error) => notifications.show({ color: 'red', title: 'Not revoked', message: error.message }),
    });
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={1} size="h2">
          API tokens
        </Title>
        <Button leftSection={<Icon name="plus" />} onClick={() => setCreating(true)}>
          Create token
        </Button>
      </Group>
      <ErrorAlert error={tokens.error} title="Could not load tokens" onRetry={() => void tokens.refetch()} />
      <Table.ScrollContainer minWidth={900}>
        <Table striped highlightOnHover fz="sm" verticalSpacing={6} aria-label="API tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Sites</Table.Th>
              <Table.Th>Created by</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {status ? (
              <Table.Tr>
                <Table.Td colSpan={9}>
                  <ListState status={status} empty="No tokens yet." onRetry={() => void tokens.refetch()} />
                </Table.Td>
              </Table.Tr>
            ) : (
              rows.map((token) => (
                <Table.Tr key={token.id} data-testid="token-row" data-token-name={token.name}>
                  <Table.Td fw={600}>{token.name}</Table.Td>
                  <Table.Td>
                    <StatusBadge {...STATE_BADGE[token.state]} />
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="default" tt="none" size="sm">
                      {token.role}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{sitesLabel(token.sites)}</Table.Td>
                  <Table.Td>{token.createdBy}</Table.Td>
                  <Table.Td>
                    <DateTime value={token.createdAt} />
                  </Table.Td>
                  <Table.Td data-testid="token-last-used">
                    <DateTime value={token.lastUsedAt} />
                  </Table.Td>
                  <Table.Td>{token.expiresAt ? <DateTime value={token.expiresAt} /> : 'Never'}</Table.Td>
                  <Table.Td>
                    {token.state === 'active' ? (
                      <ConfirmButton
                        size="xs"
                        variant="light"
                        color="red"
                        title={`Revoke token ${token.name}?`}
                        message="Whatever uses it (a worker, a script) is refused from its next request. This cannot be undone."
                        confirmLabel="Revoke token"
                        onConfirm={() => onRevoke(token)}
                      >
                        Revoke
                      </ConfirmButton>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <TokenCreateModal opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}
