import { AppShell, Burger, Divider, Group, Stack, Title } from '@mantine/core';
import { useDisclosure, useHotkeys } from '@mantine/hooks';
import { useEffect } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { useLiveEvents } from '../api/live-events.js';
import { ThemeToggle } from '../components/ui/theme-toggle.js';
import { RequireAuth } from '../features/auth/require-auth.js';
import { UserMenu } from '../features/auth/user-menu.js';
import { NotificationBell } from '../features/notifications/notification-bell.js';
import { NewJobButton } from '../features/submit/new-job-button.js';
import { MainNavLinks, MainNavList } from './main-nav.js';
import { ShortcutsHelp } from './shortcuts-help.js';

/**
 * The signed-in frame. Wide screens get the navigation and the user in the header; below the
 * `md` breakpoint both move into a drawer behind a menu button, so nothing in the header is
 * clipped and Sign out stays one tap away on a phone.
 */
function SignedInShell() {
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const [drawer, { toggle, close }] = useDisclosure(false);
  useLiveEvents(true);
  useHotkeys([
    ['j', () => navigate('/')],
    ['q', () => navigate('/queues')],
    ['s', () => navigate('/schedules')],
    ['d', () => navigate('/dashboard')],
  ]);
  // A page change closes the drawer, whatever caused it (a link, a shortcut, the back button).
  useEffect(() => {
    void pathname;
    close();
  }, [pathname, close]);
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 260, breakpoint: 'md', collapsed: { desktop: true, mobile: !drawer } }} padding="md">
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between" wrap="nowrap" gap="sm">
          <Group gap="sm" wrap="nowrap" miw={0}>
            <Burger opened={drawer} onClick={toggle} hiddenFrom="md" size="sm" aria-label={drawer ? 'Close navigation' : 'Open navigation'} />
            <Title order={2} size="h4" style={{ whiteSpace: 'nowrap' }}>
              Switchyard
            </Title>
            <Group component="nav" aria-label="Main" gap="md" visibleFrom="md" wrap="nowrap">
              <MainNavLinks />
            </Group>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <NewJobButton />
            <Group gap="sm" wrap="nowrap" visibleFrom="md">
              <ShortcutsHelp />
            </Group>
            <NotificationBell />
            <ThemeToggle />
            <Group gap="sm" wrap="nowrap" visibleFrom="md">
              <UserMenu />
            </Group>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" hiddenFrom="md" aria-label="Navigation">
        {/* Rendered only while open: its user menu would otherwise be a second copy of the header's. */}
        {drawer ? (
          <Stack gap="sm">
            <nav aria-label="Main">
              <MainNavList onNavigate={close} />
            </nav>
            <Divider />
            <UserMenu />
            <ShortcutsHelp withLabel />
          </Stack>
        ) : null}
      </AppShell.Navbar>
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
