import { Alert, Anchor, Stack, Title } from '@mantine/core';
import { Link } from 'react-router';
import { isApiError } from '../../api/api-error.js';
import { ErrorAlert } from './error-alert.js';

/**
 * A record's page that could not load it: "Not found" when the hub answers 404 (it does not
 * exist, was deleted, or is at a site the user does not see), the error otherwise, and the way
 * back to its list.
 */
export function LoadFailure({ title, error, missing, back }: { title: string; error: unknown; missing: string; back: { to: string; label: string } }) {
  const gone = isApiError(error) && error.status === 404;
  return (
    <Stack>
      <Title order={1}>{title}</Title>
      {gone ? (
        <Alert color="gray" title="Not found">
          {missing}
        </Alert>
      ) : (
        <ErrorAlert error={error} title={`Could not load ${title.toLowerCase()}`} />
      )}
      <Anchor component={Link} to={back.to}>
        {back.label}
      </Anchor>
    </Stack>
  );
}
