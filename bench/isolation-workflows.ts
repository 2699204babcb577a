import { defineWorkflow, z } from '../src/index.js';

/** A no-op workflow that names its module, so thread-isolated workers can load it in their threads. */
export const isolatedNoop = defineWorkflow({
  name: 'isolated-noop',
  module: import.meta.url,
  fields: z.object({}),
  retry: { maxAttempts: 1 },
  plan: () => [{ type: 'noop' }],
  tasks: { noop: () => ({ changed: false }) },
});
