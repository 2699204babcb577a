import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { isApiError } from './api-error.js';
import { queryKeys } from './query-keys.js';

/**
 * One client for the app. A 401 on any request means the session ended (expired, or signed
 * out in another tab): forgetting the user sends every screen back to the sign-in page.
 */
export function createQueryClient(): QueryClient {
  const onError = (error: unknown) => {
    if (isApiError(error) && error.status === 401) client.setQueryData(queryKeys.me, null);
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // Client errors (not found, forbidden, validation) will not heal by asking again.
        retry: (count, error) => (!isApiError(error) || error.status === 0 || error.status >= 500) && count < 2,
      },
    },
  });
  return client;
}
