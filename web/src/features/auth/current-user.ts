import { useMe } from '../../api/session-queries.js';
import type { User } from '../../api/types.js';
import { type Role, roleAllows } from '../../domain.js';

/**
 * Nobody, with no rights: what a page still mounted reads in the instant between signing out
 * and RequireAuth sending the browser to sign in. Throwing there was a React error on screen.
 */
const SIGNED_OUT: User = { name: '', role: 'worker', sites: [] };

/** The signed-in user; used below RequireAuth, where there is one except while signing out. */
export function useCurrentUser(): User {
  const { data } = useMe();
  return data?.user ?? SIGNED_OUT;
}

/** Whether the signed-in user's role includes `needed`. The server checks again. */
export function useCan(needed: Exclude<Role, 'worker'>): boolean {
  return roleAllows(useCurrentUser().role, needed);
}
