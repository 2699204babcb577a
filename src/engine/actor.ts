import type { Role } from '../model/index.js';

/** Who is acting: a signed-in user, an API token, or the system itself. */
export interface Actor {
  name: string;
  role: Role;
  /** Sites the actor may see and act on; null for every site. */
  sites: string[] | null;
}

export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', sites: null };
