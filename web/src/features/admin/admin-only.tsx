import { Alert, Stack, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useCan, useCurrentUser } from '../auth/current-user.js';

/**
 * A page for a role and above: its content for those who hold it, a plain explanation for
 * anyone else who follows a link here (the navigation does not offer it to them; the server
 * refuses anyway).
 */
export function RoleOnly({ title, needs: role, children }: { title: string; needs: 'operator' | 'admin'; children: ReactNode }) {
  const allowed = useCan(role);
  const user = useCurrentUser();
  if (allowed) return children;
  return (
    <Stack>
      <Title order={1} size="h2">
        {title}
      </Title>
      <Alert color="gray" title={`Needs the ${role} role`}>
        This page is for {role === 'admin' ? 'admins' : 'operators and admins'}; you are signed in as a {user.role}.
      </Alert>
    </Stack>
  );
}

/** An administration page (see RoleOnly). */
export function AdminOnly({ title, children }: { title: string; children: ReactNode }) {
  return (
    <RoleOnly title={title} needs="admin">
      {children}
    </RoleOnly>
  );
}
