import { Anchor, Badge, Button, Group, Modal, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { type Subscription, useDeleteSubscription, useDeliveries, useInbox, useMarkRead, useSubscriptions } from '../../api/notification-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { ErrorAlert } from '../../components/ui/error-alert.js';
import { notificationPath, notificationTitle } from './notification-text.js';
import { SiteRuleForm } from './site-rule-form.js';

const STATUS_COLOR = { pending: 'yellow', sent: 'green', failed: 'red' } as const;

function targetOf(s: Subscription): string {
  if (s.jobId !== null) return `Job ${s.jobId}${s.on === 'failure' ? ', if it fails' : ''}`;
  if (s.envelopeId !== null) return `Envelope ${s.envelopeId}${s.on === 'failure' ? ', if it ends with errors' : ', when it ends'}`;
  if (s.scheduleId !== null) return `Schedule ${s.scheduleId}: each run${s.on === 'failure' ? ' that fails' : ''}`;
  const where = s.allSites ? 'All my sites' : `Site ${s.site}`;
  return s.events.length > 0 ? `${where}: ${s.events.join(', ')}` : `${where}: every ending`;
}

function Inbox() {
  const inbox = useInbox();
  const markRead = useMarkRead();
  const items = inbox.data?.items ?? [];
  return (
    <Stack gap="sm">
      <ErrorAlert error={inbox.error} title="Could not load notifications" />
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {inbox.data ? `${inbox.data.unread} unread` : 'Loading…'}
        </Text>
        <Button variant="default" size="xs" disabled={!inbox.data?.unread} onClick={() => markRead.mutate(null)}>
          Mark all read
        </Button>
      </Group>
      {items.length === 0 && inbox.data ? <Text c="dimmed">No notifications yet.</Text> : null}
      {items.map((item) => (
        <Group key={item.id} justify="space-between" wrap="nowrap" data-testid="inbox-item">
          <Stack gap={0}>
            <Anchor
              component={Link}
              to={notificationPath(item.job)}
              fw={item.readAt === null ? 600 : 400}
              onClick={() => item.readAt === null && markRead.mutate([item.id])}
            >
              {notificationTitle(item.job)}
            </Anchor>
            {item.job.reason ? (
              <Text size="xs" c="dimmed">
                {item.job.reason}
              </Text>
            ) : null}
          </Stack>
          <DateTime value={item.createdAt} />
        </Group>
      ))}
    </Stack>
  );
}

function DeliveryLog({ subscription, onClose }: { subscription: Subscription | null; onClose: () => void }) {
  const log = useDeliveries(subscription?.id ?? null);
  return (
    <Modal opened={subscription !== null} onClose={onClose} title={subscription ? `Delivery log — ${targetOf(subscription)}` : ''} size="lg">
      <ErrorAlert error={log.error} title="Could not load the log" />
      {log.data && log.data.length === 0 ? <Text c="dimmed">Nothing sent yet.</Text> : null}
      {log.data && log.data.length > 0 ? (
        <Table.ScrollContainer minWidth={500}>
          <Table fz="sm" aria-label="Deliveries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Attempts</Table.Th>
                <Table.Th>Last error</Table.Th>
                <Table.Th>Sent or next try</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {log.data.map((d) => (
                <Table.Tr key={d.id} data-testid="delivery-row">
                  <Table.Td>{d.jobId ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[d.status]} variant="light">
                      {d.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right">{d.attempts}</Table.Td>
                  <Table.Td>{d.lastError ?? '—'}</Table.Td>
                  <Table.Td>
                    <DateTime value={d.sentAt ?? d.nextAttemptAt} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Modal>
  );
}

function Subscriptions() {
  const subscriptions = useSubscriptions();
  const remove = useDeleteSubscription();
  const [logOf, setLogOf] = useState<Subscription | null>(null);
  const items = subscriptions.data ?? [];
  return (
    <Stack gap="lg">
      <ErrorAlert error={subscriptions.error} title="Could not load subscriptions" />
      {items.length === 0 && subscriptions.data ? <Text c="dimmed">No subscriptions. Subscribe from a job's page, or add a site rule below.</Text> : null}
      {items.length > 0 ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped fz="sm" aria-label="Subscriptions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>What</Table.Th>
                <Table.Th>Channel</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>How often</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((s) => (
                <Table.Tr key={s.id} data-testid="subscription-row">
                  <Table.Td>{targetOf(s)}</Table.Td>
                  <Table.Td>{s.channel}</Table.Td>
                  <Table.Td>{s.address ?? s.url ?? '—'}</Table.Td>
                  <Table.Td>{s.delivery === 'immediate' ? 'At once' : `${s.delivery === 'hourly' ? 'Hourly' : 'Daily'} digest (${s.timezone})`}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      {s.channel !== 'console' ? (
                        <Button variant="default" size="compact-xs" onClick={() => setLogOf(s)}>
                          Delivery log
                        </Button>
                      ) : null}
                      <Button
                        variant="subtle"
                        color="red"
                        size="compact-xs"
                        loading={remove.isPending && remove.variables === s.id}
                        onClick={() => remove.mutate(s.id)}
                      >
                        Remove
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      <Stack gap="xs">
        <Title order={2} size="h4">
          Add a site rule
        </Title>
        <SiteRuleForm onCreated={() => undefined} />
      </Stack>
      <DeliveryLog subscription={logOf} onClose={() => setLogOf(null)} />
    </Stack>
  );
}

/** The signed-in user's notifications, subscriptions and site rules, with each endpoint's delivery log. */
export function NotificationsPage() {
  return (
    <Stack gap="md">
      <Title order={1} size="h2">
        Notifications
      </Title>
      <Tabs defaultValue="inbox" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="inbox">Inbox</Tabs.Tab>
          <Tabs.Tab value="subscriptions">Subscriptions and rules</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="inbox" pt="md">
          <Inbox />
        </Tabs.Panel>
        <Tabs.Panel value="subscriptions" pt="md">
          <Subscriptions />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
