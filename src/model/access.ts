import type { Actor } from './actor.js';
import { SwitchyardError } from './errors.js';
import { ROLES, type Role, roleAllows, siteAllowed } from './roles.js';

/**
 * What each engine verb needs, in one table: the role a person (or token) must hold at least.
 * The engine asks `authorize` at the top of every verb; the API's per-route `access` level is
 * only a first, coarse gate in front of it. `worker` verbs are for worker tokens (and admins).
 */
export const Permission = {
  'jobs.read': 'viewer',
  'jobs.submit': 'operator',
  'jobs.control': 'operator',
  'jobs.delete': 'admin',
  'queues.read': 'viewer',
  'queues.control': 'operator',
  'queues.edit': 'admin',
  'schedules.read': 'viewer',
  'schedules.run': 'operator',
  'schedules.edit': 'operator',
  'catalog.read': 'viewer',
  'events.read': 'viewer',
  'audit.read': 'operator',
  'users.manage': 'admin',
  'tokens.manage': 'admin',
  'self.read': 'viewer',
  'notify.subscribe': 'viewer',
  'self.password': 'viewer',
  'worker.protocol': 'worker',
  /** Prometheus metrics span every site: admins who see all sites only (see EngineMetrics.scrape). */
  'metrics.read': 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof Permission;

/** Throws SWY_ERR_AUTH_FORBIDDEN unless the actor's role allows the permission. */
export function authorize(actor: Actor, permission: Permission): void {
  const needed = Permission[permission];
  if (needed === 'worker') {
    if (actor.role === 'worker' || actor.role === 'admin') return;
    throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', 'Only worker or admin tokens may use the worker protocol');
  }
  if (!roleAllows(actor.role, needed)) throw new SwitchyardError('SWY_ERR_AUTH_FORBIDDEN', `This needs the ${needed} role; you are ${actor.role}`);
}

/** Whether the actor sees every site (Global): only such actors change what all sites share. */
export function seesAllSites(actor: Actor): boolean {
  return actor.sites === null;
}

/** Throws SWY_ERR_AUTH_SITE unless the actor may act at `site`. */
export function requireSite(actor: Actor, site: string): void {
  if (!siteAllowed(actor.sites, site)) throw new SwitchyardError('SWY_ERR_AUTH_SITE', `You have no access to site "${site}"`);
}

/**
 * Jobs that span sites (tasks at a source and a destination site): a job is visible to
 * users of ANY of its sites — all of it, tasks at the other sites included, read-only, which
 * is what a user at one end needs to follow a transfer — and controllable only by users of
 * ALL of them, since pausing, cancelling, retrying or deleting it acts at every site.
 */
export function seesJob(actor: Actor, jobSites: readonly string[]): boolean {
  return actor.sites === null || jobSites.some((site) => actor.sites?.includes(site));
}

/** Throws SWY_ERR_AUTH_SITE, naming the sites missing, unless the actor may act at every one of `jobSites`. */
export function requireEverySite(actor: Actor, jobSites: readonly string[]): void {
  if (actor.sites === null) return;
  const missing = jobSites.filter((site) => !actor.sites?.includes(site));
  if (missing.length === 0) return;
  const names = missing.map((site) => `"${site}"`).join(', ');
  throw new SwitchyardError(
    'SWY_ERR_AUTH_SITE',
    `This job also runs at site${missing.length === 1 ? '' : 's'} ${names}, which you have no access to; controlling it needs every site it spans (${jobSites.join(', ')})`,
  );
}

/**
 * The sites a read covers: the ones asked for (null: all) narrowed to those the actor may
 * see. An actor limited to sites never gets null back.
 */
export function scopeSites(actor: Actor, requested: readonly string[] | null | undefined): string[] | null {
  const asked = requested && requested.length > 0 ? [...requested] : null;
  if (actor.sites === null) return asked;
  return asked === null ? [...actor.sites] : asked.filter((site) => actor.sites?.includes(site));
}

/** Whether every site of `sites` (null: all) is within the actor's own. */
export function sitesWithin(actor: Actor, sites: readonly string[] | null): boolean {
  const own = actor.sites;
  if (own === null) return true;
  if (sites === null) return false;
  return sites.every((site) => own.includes(site));
}

/**
 * Why the actor may not hand out a credential of `role` for `sites` (null: may). No one grants
 * more than they hold: a site-limited admin grants only roles up to its own and only sites
 * within its own (never "all sites").
 */
export function grantProblem(actor: Actor, role: Role, sites: readonly string[] | null): string | null {
  if (!ROLES.includes(role)) return `unknown role "${role}"`;
  if (sites !== null && sites.length === 0) return 'a grant of no sites would see nothing: name at least one site, or none for every site';
  if (role !== 'worker' && !roleAllows(actor.role, role)) return `you may not grant the ${role} role`;
  if (role === 'worker' && !roleAllows(actor.role, 'admin')) return 'only admins create worker tokens';
  if (!sitesWithin(actor, sites)) {
    return sites === null ? 'you may only grant access to your own sites; name them' : `you may only grant your own sites (${actor.sites?.join(', ')})`;
  }
  return null;
}

/** Whether the actor may manage (see, change) a user or token scoped to `sites`. */
export function manages(actor: Actor, sites: readonly string[] | null): boolean {
  // A credential of no sites (made before they were refused) is no site admin's: all-sites admins' only.
  const scope = sites !== null && sites.length === 0 ? null : sites;
  return roleAllows(actor.role === 'worker' ? 'viewer' : actor.role, 'admin') && sitesWithin(actor, scope);
}
