import { Alert, Stack, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useCan, useCurrentUser } from '../auth/current-user.js';

/**
 * An administration page: its content for admins, a plain explanation for anyone else who
 * follows a link here (the navigation does not offer it to them; the server refuses anyway).
 */
export function AdminOnly({ title, children }: { title: string; children: ReactNode }) {
  const allowed = useCan('admin');
  const user = useCurrentUser();
  if (allowed) return children;
  return (
    <Stack>
      <Title order={1} size="h2">
        {title}
      </Title>
      <Alert color="gray" title="Needs the admin role">
        This page is for admins; you are signed in as a {user.role}.
      </Alert>
    </Stack>
  );
}
