import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError } from './api-error.js';
import { api, setCsrfToken } from './http.js';
import { queryKeys } from './query-keys.js';
import type { Me } from './types.js';

/** Who is signed in: null when nobody is (the API answered 401). */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: async (): Promise<Me | null> => {
      try {
        const me = await api<Me>('/me');
        setCsrfToken(me.csrfToken);
        return me;
      } catch (error) {
        if (isApiError(error) && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (credentials: { username: string; password: string }) => api<Me>('/session', { method: 'POST', body: credentials }),
    onSuccess: (me) => {
      setCsrfToken(me.csrfToken);
      client.setQueryData(queryKeys.me, me);
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api<void>('/session', { method: 'DELETE' }),
    onSettled: () => {
      setCsrfToken(null);
      // Signed out first, so RequireAuth leaves the page before its data goes; then nothing
      // read as this user may be shown to the next one.
      client.setQueryData(queryKeys.me, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.me[0] });
    },
  });
}
