import { NavLink as MantineNavLink, Stack } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import type { Role } from '../domain.js';
import { useCan } from '../features/auth/current-user.js';

interface NavItem {
  to: string;
  label: string;
  /** The least role that may use the page; the server refuses the rest anyway. */
  needs: Exclude<Role, 'worker'>;
  /** Whether a path belongs to this entry: a job's page belongs to "Jobs". */
  owns: (path: string) => boolean;
}

export const NAV: NavItem[] = [
  { to: '/', label: 'Jobs', needs: 'viewer', owns: (p) => p === '/' || p.startsWith('/jobs') },
  { to: '/dashboard', label: 'Dashboard', needs: 'viewer', owns: (p) => p.startsWith('/dashboard') },
  { to: '/queues', label: 'Queues', needs: 'viewer', owns: (p) => p.startsWith('/queues') },
  { to: '/envelopes', label: 'Envelopes', needs: 'viewer', owns: (p) => p.startsWith('/envelopes') },
  { to: '/schedules', label: 'Schedules', needs: 'viewer', owns: (p) => p.startsWith('/schedules') },
  { to: '/workers', label: 'Workers', needs: 'viewer', owns: (p) => p.startsWith('/workers') },
  { to: '/audit', label: 'Audit', needs: 'operator', owns: (p) => p.startsWith('/audit') },
  { to: '/users', label: 'Users', needs: 'admin', owns: (p) => p.startsWith('/users') },
  { to: '/tokens', label: 'Tokens', needs: 'admin', owns: (p) => p.startsWith('/tokens') },
];

/** The entries the signed-in user may use, and which one the current page belongs to. */
export function useNav(): { items: NavItem[]; current: NavItem | undefined } {
  const { pathname } = useLocation();
  const viewer = useCan('viewer');
  const operator = useCan('operator');
  const admin = useCan('admin');
  const allowed = { viewer, operator, admin };
  const items = NAV.filter((item) => allowed[item.needs]);
  return { items, current: items.find((item) => item.owns(pathname)) };
}

/** The main navigation as a row of links (wide screens); the current page is marked in words and weight, not colour alone. */
export function MainNavLinks() {
  const { items, current } = useNav();
  return (
    <>
      {items.map((item) => (
        <Link key={item.to} to={item.to} className={`nav-link${item === current ? ' active' : ''}`} aria-current={item === current ? 'page' : undefined}>
          {item.label}
        </Link>
      ))}
    </>
  );
}

/** The main navigation as a list (the phone drawer). */
export function MainNavList({ onNavigate }: { onNavigate: () => void }) {
  const { items, current } = useNav();
  return (
    <Stack gap={2}>
      {items.map((item) => (
        <MantineNavLink
          key={item.to}
          component={Link}
          to={item.to}
          label={item.label}
          active={item === current}
          aria-current={item === current ? 'page' : undefined}
          onClick={onNavigate}
          fw={item === current ? 700 : 500}
        />
      ))}
    </Stack>
  );
}
