import { ActionIcon, Anchor, Button, Divider, Group, Indicator, Popover, ScrollArea, Stack, Text, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useInbox, useMarkRead } from '../../api/notification-queries.js';
import { DateTime } from '../../components/ui/date-time.js';
import { notificationPath, notificationTitle } from './notification-text.js';

const SHOWN = 8;

function BellIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}

/**
 * The header's bell: how many console notifications are unread, and the latest of them.
 * Opening one marks it read and goes to its job.
 */
export function NotificationBell() {
  const inbox = useInbox();
  const markRead = useMarkRead();
  const navigate = useNavigate();
  const [opened, setOpened] = useState(false);
  const unread = inbox.data?.unread ?? 0;
  const items = (inbox.data?.items ?? []).slice(0, SHOWN);
  const label = unread === 0 ? 'Notifications' : `Notifications, ${unread} unread`;

  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={340} shadow="md" withinPortal>
      {/* The indicator wraps the target, not the reverse: the target gets aria-expanded, which only a button may carry. */}
      <Indicator label={unread > 99 ? '99+' : unread} size={16} disabled={unread === 0} color="red" offset={4} data-testid="unread-count">
        <Popover.Target>
          <ActionIcon variant="default" size="lg" aria-label={label} onClick={() => setOpened((o) => !o)}>
            <BellIcon />
          </ActionIcon>
        </Popover.Target>
      </Indicator>
      <Popover.Dropdown p={0} aria-label="Notifications">
        <Group justify="space-between" px="sm" py={8}>
          <Text fw={600} size="sm">
            Notifications
          </Text>
          <Button variant="subtle" size="compact-xs" disabled={unread === 0} loading={markRead.isPending} onClick={() => markRead.mutate(null)}>
            Mark all read
          </Button>
        </Group>
        <Divider />
        <ScrollArea.Autosize mah={360}>
          {items.length === 0 ? (
            <Text size="sm" c="dimmed" p="sm">
              {inbox.isPending ? 'Loading…' : 'Nothing yet. Subscribe to a job from its page, or add a site rule.'}
            </Text>
          ) : (
            <Stack gap={0}>
              {items.map((item) => (
                <UnstyledButton
                  key={item.id}
                  px="sm"
                  py={8}
                  data-testid="notification"
                  data-unread={item.readAt === null}
                  style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}
                  onClick={() => {
                    if (item.readAt === null) markRead.mutate([item.id]);
                    setOpened(false);
                    navigate(notificationPath(item.job));
                  }}
                >
                  <Text size="sm" fw={item.readAt === null ? 600 : 400}>
                    {notificationTitle(item.job)}
                  </Text>
                  {item.job.reason ? (
                    <Text size="xs" c="dimmed" lineClamp={2}>
                      {item.job.reason}
                    </Text>
                  ) : null}
                  <DateTime value={item.createdAt} size="xs" />
                </UnstyledButton>
              ))}
            </Stack>
          )}
        </ScrollArea.Autosize>
        <Divider />
        <Anchor component={Link} to="/notifications" size="sm" display="block" px="sm" py={8} onClick={() => setOpened(false)}>
          All notifications and subscriptions
        </Anchor>
      </Popover.Dropdown>
    </Popover>
  );
}
