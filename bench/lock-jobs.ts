import { DEFAULT_RETRY_POLICY, type ResourceLock } from '../src/model/index.js';
import type { NewJob } from '../src/store/store.js';

/** A one-task job of the bench's `demo` workflow holding `locks`. */
export function newJobSpec(locks: ResourceLock[]): NewJob {
  return {
    workflow: 'demo',
    site: 'local',
    queue: 'default',
    creator: 'bench',
    priority: 0,
    fields: {},
    searchText: '',
    runAt: null,
    idempotencyKey: null,
    timeoutMs: null,
    retry: DEFAULT_RETRY_POLICY,
    parentJobId: null,
    tasks: [{ type: 'work', input: null }],
    locks,
  };
}
