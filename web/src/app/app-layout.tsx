import { Anchor, AppShell, Group, Title } from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useLiveEvents } from '../api/live-events.js';
import { ThemeToggle } from '../components/ui/theme-toggle.js';
import { RequireAuth } from '../features/auth/require-auth.js';
import { UserMenu } from '../features/auth/user-menu.js';
import { NotificationBell } from '../features/notifications/notification-bell.js';
import { NewJobButton } from '../features/submit/new-job-button.js';
import { ShortcutsHelp } from './shortcuts-help.js';

const NAV = [
  { to: '/', label: 'Jobs', end: true },
  { to: '/queues', label: 'Queues', end: false },
];

function SignedInShell() {
  const navigate = useNavigate();
  useLiveEvents(true);
  useHotkeys([
    ['j', () => navigate('/')],
    ['q', () => navigate('/queues')],
  ]);
  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap">
          <Group gap="lg" wrap="nowrap">
            <Title order={2} size="h4">
              Switchyard
            </Title>
            <Group component="nav" aria-label="Main" gap="md">
              {NAV.map((item) => (
                <Anchor key={item.to} component={NavLink} to={item.to} end={item.end} size="sm" className="nav-link">
                  {item.label}
                </Anchor>
              ))}
            </Group>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <NewJobButton />
            <ShortcutsHelp />
            <NotificationBell />
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

/** Every page but sign-in: the header, live updates, and the signed-in check. */
export function AppLayout() {
  return (
    <RequireAuth>
      <SignedInShell />
    </RequireAuth>
  );
}
