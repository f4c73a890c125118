// Public API of @restguard/store-sqlite. This file only re-exports.

export { CHANGE_LOG_RETENTION_MS } from './changes.js';
export * from './client-certificates.js';
export * from './migrations.js';
export * from './store.js';
export * from './url.js';
