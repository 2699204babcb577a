import type { Logger } from 'pino';
import type { WorkflowRegistry } from '../sdk/workflow-registry.js';
import { createStore } from '../store/create-store.js';
import { defaultTransferDir, Engine, type EngineOptions } from './engine.js';

export interface OpenEngineOptions extends Omit<EngineOptions, 'store' | 'workflows'> {
  /** A PostgreSQL URL; otherwise the embedded SQLite store in `dataDir`. */
  db?: string | null;
  /** Where the SQLite file lives. */
  dataDir?: string;
  /** The SQLite file itself, or ':memory:', instead of `dataDir`. */
  sqliteFile?: string;
  workflows: WorkflowRegistry;
  logger?: Logger;
}

/**
 * Opens the store (migrated) and an engine over it: how the CLI and embedding code get an
 * engine without ever holding the store. `engine.close()` closes both.
 */
export async function openEngine(options: OpenEngineOptions): Promise<Engine> {
  const { db, dataDir, sqliteFile, ...rest } = options;
  const store = await createStore({ db, dataDir, sqliteFile });
  const engine = new Engine({ transferDir: defaultTransferDir({ db, dataDir, sqliteFile }), ...rest, store });
  try {
    await engine.init();
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}
