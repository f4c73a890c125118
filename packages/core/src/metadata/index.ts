// Protected Resource Metadata (RFC 9728). Re-exports only.
export * from './protected-resource.js';
export * from './serve.js';
