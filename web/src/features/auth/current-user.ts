import { useMe } from '../../api/session-queries.js';
import type { User } from '../../api/types.js';
import { type Role, roleAllows } from '../../domain.js';

/** The signed-in user; only used below RequireAuth, where there always is one. */
export function useCurrentUser(): User {
  const { data } = useMe();
  if (!data) throw new Error('useCurrentUser outside RequireAuth');
  return data.user;
}

/** Whether the signed-in user's role includes `needed`. The server checks again. */
export function useCan(needed: Exclude<Role, 'worker'>): boolean {
  return roleAllows(useCurrentUser().role, needed);
}
