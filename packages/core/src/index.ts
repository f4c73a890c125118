// Public API of @restguard/core. This file only re-exports; each area keeps its own section.

export * from './adapter-support.js';
// --- API keys ---
export * from './api-key/index.js';
// --- client certificates as principals ---
export * from './client-certificate/index.js';
// --- configuration from the environment ---
export * from './config-from-env.js';
export * from './credentials.js';
// --- DPoP (RFC 9449) ---
export * from './dpop/index.js';
// --- spine (errors, request, principal, credentials, scopes, events, guard) ---
export * from './errors.js';
export * from './events.js';
export * from './fault.js';
export * from './guard.js';
// --- protected-resource metadata (RFC 9728) ---
export * from './metadata/index.js';
// --- OpenAPI (route-scope registry, security schemes) ---
export * from './openapi/index.js';
export * from './principal.js';
// --- rate limits ---
export * from './rate-limit/index.js';
export * from './request.js';
export * from './scope/evaluate.js';
// --- sessions (browser SSO) ---
export * from './session/index.js';

// --- store support (shared rules of the API-key and client-certificate stores) ---
export * from './store-support.js';
// --- TLS policy ---
export * from './tls/index.js';
// --- tokens (JWT, JWKS, discovery, introspection) ---
export * from './token/index.js';
