import { Badge, Button, Group, Text } from '@mantine/core';
import { useNavigate } from 'react-router';
import { useSignOut } from '../../api/session-queries.js';
import { useCurrentUser } from './current-user.js';

export function UserMenu() {
  const user = useCurrentUser();
  const signOut = useSignOut();
  const navigate = useNavigate();
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" data-testid="current-user">
        {user.name}
      </Text>
      <Badge variant="outline" size="sm" tt="none">
        {user.role}
      </Badge>
      <Button
        variant="subtle"
        size="compact-sm"
        loading={signOut.isPending}
        onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('/login', { replace: true }) })}
      >
        Sign out
      </Button>
    </Group>
  );
}
