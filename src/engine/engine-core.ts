import type { Logger } from 'pino';
import type { Actor, Json } from '../model/index.js';
import type { Store } from '../store/store.js';

/**
 * What the engine's verb groups share: the store (reachable from src/engine only), the
 * clock, the logger and the one function that writes audit entries.
 */
export interface EngineCore {
  readonly store: Store;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Writes one audit entry: who did what to what, at which site (null: not site-bound). */
  audit(actor: Actor, action: string, target: string | null, site: string | null, data?: Record<string, Json>): Promise<void>;
}

/** Instants as the API shows them. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
