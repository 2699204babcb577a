import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '../domain.js';
import { api } from './http.js';
import { queryKeys } from './query-keys.js';

/** A user as GET /users answers it (never a password hash). */
export interface ManagedUser {
  id: number;
  username: string;
  role: Role;
  /** Null: every site. */
  sites: string[] | null;
  disabled: boolean;
  email: string | null;
  createdAt: string;
  passwordChangedAt: string | null;
}

/** A token as GET /tokens answers it: never its secret. */
export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  sites: string[] | null;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  state: 'active' | 'revoked' | 'expired';
}

export interface WorkerInfo {
  id: string;
  name: string;
  site: string;
  host: string;
  workflows: string[];
  startedAt: string;
  lastSeenAt: string;
  online: boolean;
  runningTasks: number;
  version: string | null;
}

export interface NewUserRequest {
  username: string;
  password: string;
  role: Role;
  sites: string[] | null;
  email?: string | null;
}

export interface UserPatchRequest {
  role?: Role;
  sites?: string[] | null;
  disabled?: boolean;
  password?: string;
  email?: string | null;
}

export interface NewTokenRequest {
  name: string;
  role: Role;
  sites: string[] | null;
  expiresInDays?: number;
}

export function useUsers(enabled = true) {
  return useQuery({
    queryKey: queryKeys.users,
    queryFn: ({ signal }) => api<{ items: ManagedUser[] }>('/users', { signal }).then((r) => r.items),
    enabled,
  });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: NewUserRequest) => api<ManagedUser>('/users', { method: 'POST', body: request }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, patch }: { name: string; patch: UserPatchRequest }) =>
      api<ManagedUser>(`/users/${encodeURIComponent(name)}`, { method: 'PATCH', body: patch }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.users }),
  });
}

export function useTokens() {
  return useQuery({
    queryKey: queryKeys.tokens,
    queryFn: ({ signal }) => api<{ items: ApiToken[] }>('/tokens', { signal }).then((r) => r.items),
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: NewTokenRequest) => api<ApiToken & { token: string }>('/tokens', { method: 'POST', body: request }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.tokens }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api<ApiToken>(`/tokens/${id}`, { method: 'DELETE' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.tokens }),
  });
}

/** Workers report in with every lease and heartbeat; a 15 s poll keeps "online" honest. */
export function useWorkers() {
  return useQuery({
    queryKey: queryKeys.workers,
    queryFn: ({ signal }) => api<{ items: WorkerInfo[] }>('/workers', { signal }).then((r) => r.items),
    refetchInterval: 15_000,
  });
}
