export { type CreateHubOptions, createHub, ensurePrivateDir, type Hub, type HubWorkerOptions } from './create-hub.js';
export { findWebRoot } from './web-root.js';
