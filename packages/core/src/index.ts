// Public API of @restguard/core. This file only re-exports; each area keeps its own section.

// --- spine (errors, request, principal, credentials, scopes, events, guard) ---
export * from './errors.js';
export * from './request.js';
export * from './principal.js';
export * from './credentials.js';
export * from './events.js';
export * from './scope/evaluate.js';
export * from './guard.js';
export * from './adapter-support.js';

// --- tokens (JWT, JWKS, discovery, introspection) ---
export * from './token/index.js';

// --- API keys ---
export * from './api-key/index.js';

// --- TLS policy ---
export * from './tls/index.js';

// --- sessions (browser SSO) ---
export * from './session/index.js';
