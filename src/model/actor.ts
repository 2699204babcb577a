import type { Role } from './roles.js';

/** Who is acting: a signed-in user, an API token, or the system itself. */
export interface Actor {
  /** The name audit entries and `creator` show: a user name, `token:<name>` or `system`. */
  name: string;
  role: Role;
  /** Sites the actor may see and act on; null for every site. */
  sites: string[] | null;
  /**
   * The credential behind the actor, unique where names are not: `user:<id>`, `token:<id>`
   * or `system`. A worker registration belongs to the credential that made it.
   */
  ref: string;
}

/** The hub itself: its background duties, bootstrap and the in-process worker. */
export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', sites: null, ref: 'system' };
