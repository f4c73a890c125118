// The node:crypto fast paths of `@restguard/core/node`: a signature step for access tokens and an
// API-key hasher, each a drop-in for its Web Crypto default and differential-tested against it.
export * from './fast-api-key-hasher.js';
export * from './fast-signature.js';
