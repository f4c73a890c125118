// Node-only entry point of @restguard/core (`@restguard/core/node`). Never imported by the main entry
// (which stays Web-API-only). No process.env here: applications pass every value.
//   connection.ts          connection facts for adapters (TLS, peer address, client certificate)
//   adapter-request.ts     the Node request translation of the Node adapters (Express, Fastify)
//   credentials.ts, https-server.ts, reload.ts   HTTPS serving: load, check, serve, reload certificates
//   plain-http.ts          the optional plain-HTTP listener: applies the TLS policy only
//   dev-certificates.ts, x509.ts                 development CA, server and client certificates
//   rate-limit.ts          rate-limit backends (memory, Redis, PostgreSQL) on rate-limiter-flexible
//   fast-path.ts           node:crypto fast paths: token signature step, API-key hasher (differential-tested)
export * from './adapter-request.js';
export * from './connection.js';
export * from './credentials.js';
export * from './dev-certificates.js';
export * from './fast-path.js';
export * from './https-server.js';
export * from './plain-http.js';
export * from './rate-limit.js';
export * from './reload.js';
export { createDevCa, type IssueOptions, issueCertificate, type PemPair } from './x509.js';
