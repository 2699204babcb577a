import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Hub, type HubOptions, startHub } from '../../src/cli/hub.js';
import { type JobRecord, SYSTEM_ACTOR } from '../../src/model/index.js';
import { builtInWorkflows } from '../../src/workflows/index.js';

export const ADMIN_PASSWORD = 'hub-pass-9f3k2x';

export interface RunningHub extends Hub {
  dataDir: string;
  /** fetch against the hub with the CLI's admin token unless `token: null`. */
  api(path: string, init?: RequestInit & { token?: string | null; json?: unknown }): Promise<Response>;
  /** A job as the engine reads it for the system (null when there is none). */
  job(id: number): Promise<JobRecord | null>;
  lastEventId(): Promise<number>;
}

/** A hub started the way `switchyard start` starts one, on a fresh data directory and a free port. */
export async function startTestHub(options: Partial<HubOptions> = {}): Promise<RunningHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'swy-api-'));
  const hub = await startHub({ dataDir, port: 0, workflows: builtInWorkflows, adminPassword: ADMIN_PASSWORD, ...options });
  const close = hub.close;
  return {
    ...hub,
    dataDir,
    api(path, init = {}) {
      const { token = hub.cliToken, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${hub.url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    job: (id) => hub.engine.reads.job(id, SYSTEM_ACTOR).catch(() => null),
    lastEventId: () => hub.engine.reads.lastEventId(SYSTEM_ACTOR),
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
