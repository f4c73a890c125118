// Public API of @restguard/store-postgres. This file only re-exports.

export * from './client-certificates.js';
export * from './migrations.js';
export * from './replay-store.js';
export * from './store.js';
