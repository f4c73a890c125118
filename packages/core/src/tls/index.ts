// TLS everywhere (core, Web-API-only): the per-request TLS policy, HSTS, trusted proxies and
// RFC 8705 certificate-bound access tokens. Node serving helpers live in `@restguard/core/node`.
export * from './binding.js';
export { forwardedClientCertificate, forwardedProtos } from './forwarded.js';
export * from './hsts.js';
export * from './ip.js';
export * from './policy.js';
