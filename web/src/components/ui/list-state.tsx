import { Button, Center, Loader, Stack, Text } from '@mantine/core';

/** What a list shows when it has no rows: each case reads differently, so "none" is never a guess. */
export type ListStatus = 'loading' | 'failed' | 'empty';

/**
 * The body of a list without rows: loading (a spinner), failed (why, and a retry), or truly
 * empty (the caller's message). A list with rows never shows this.
 */
export function ListState({ status, empty, onRetry }: { status: ListStatus; empty: string; onRetry?: () => void }) {
  return (
    <Center py="lg" data-testid="list-state" data-status={status}>
      {status === 'loading' ? (
        <Stack align="center" gap={6}>
          <Loader size="sm" aria-hidden="true" />
          <Text size="sm" c="dimmed" role="status">
            Loading…
          </Text>
        </Stack>
      ) : status === 'failed' ? (
        <Stack align="center" gap={6}>
          <Text size="sm" fw={600}>
            The list could not be loaded.
          </Text>
          {onRetry ? (
            <Button size="xs" variant="default" onClick={onRetry}>
              Try again
            </Button>
          ) : null}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      )}
    </Center>
  );
}

/** The status of a list query with no rows to show, or null when it has rows. */
export function listStatus(query: { isPending: boolean; isError: boolean }, rows: number): ListStatus | null {
  if (rows > 0) return null;
  if (query.isError) return 'failed';
  if (query.isPending) return 'loading';
  return 'empty';
}
