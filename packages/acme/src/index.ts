// @restguard/acme: certificates managed by the server (ACME, RFC 8555).
//   config.ts        options and their checks
//   manager.ts       account, order, challenge, install (hot reload), renewal
//   events.ts        events and renewal arithmetic
//   http-challenge.ts HTTP-01 answers (RFC 8555 §8.3)
//   storage.ts       account key and certificate storage (directory, 0700/0600)
//   tls-alpn.ts, client-hello.ts   TLS-ALPN-01 (RFC 8737) on the HTTPS port
//   transport.ts     how acme-client reaches the CA (trusted roots, retries)
export * from './client-hello.js';
export * from './config.js';
export * from './events.js';
export * from './http-challenge.js';
export * from './manager.js';
export * from './storage.js';
export * from './tls-alpn.js';
