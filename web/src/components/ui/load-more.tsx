import { Button, Center, Text } from '@mantine/core';

/** The foot of a keyset-paged list. */
export function LoadMore({ hasMore, loading, onLoad, shown }: { hasMore: boolean; loading: boolean; onLoad: () => void; shown: number }) {
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
