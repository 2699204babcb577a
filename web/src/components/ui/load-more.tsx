import { Button, Center, Text } from '@mantine/core';

/**
 * The foot of a keyset-paged list. Says "that is all" only when it knows: not while the first
 * page loads, nor after a failed one (`settled` false).
 */
export function LoadMore({
  hasMore,
  loading,
  onLoad,
  shown,
  settled = true,
}: {
  hasMore: boolean;
  loading: boolean;
  onLoad: () => void;
  shown: number;
  settled?: boolean;
}) {
  if (!settled || shown === 0) return null;
  return (
    <Center py="sm" style={{ flexDirection: 'column', gap: 4 }}>
      <Text size="xs" c="dimmed">
        {shown} shown{hasMore ? '' : ' — that is all'}
      </Text>
      {hasMore ? (
        <Button variant="default" size="xs" onClick={onLoad} loading={loading}>
          Load more
        </Button>
      ) : null}
    </Center>
  );
}
