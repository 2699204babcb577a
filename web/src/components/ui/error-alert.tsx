import { Alert } from '@mantine/core';

/** An error as the user should read it: the API's message, with its code for support. */
export function ErrorAlert({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      {message}
      {code ? ` (${code})` : null}
    </Alert>
  );
}
