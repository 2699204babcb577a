import { Alert, Button, Group, Text } from '@mantine/core';

/**
 * An error as the user should read it: the API's message, with its code for support, and a
 * "Try again" when the caller can retry.
 */
export function ErrorAlert({ error, title = 'Something went wrong', onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Group justify="space-between" gap="sm" wrap="wrap">
        <Text size="sm">
          {message}
          {code ? ` (${code})` : null}
        </Text>
        {onRetry ? (
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Group>
    </Alert>
  );
}
