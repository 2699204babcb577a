/**
 * Roles, from least to most privileged for people, plus `worker` for the tokens remote
 * workers use: a worker token may only lease and report tasks at its sites.
 */
export const Role = {
  viewer: 'viewer',
  operator: 'operator',
  admin: 'admin',
  worker: 'worker',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = Object.values(Role);

const RANK: Record<Role, number> = { worker: 0, viewer: 1, operator: 2, admin: 3 };

/** Whether `role` includes what `needed` may do. Workers are not people: they hold no console role. */
export function roleAllows(role: Role, needed: Exclude<Role, 'worker'>): boolean {
  if (role === 'worker') return false;
  return RANK[role] >= RANK[needed];
}

/** Site scope: `null` means every site. */
export function siteAllowed(sites: readonly string[] | null, site: string): boolean {
  return sites === null || sites.includes(site);
}
