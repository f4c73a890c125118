// What an adapter test imports as one namespace: `import { adapter } from '@restguard/test-support'`.
export { type AdapterFixture as Fixture, createAdapterFixture as createFixture } from './api-keys.js';
export {
  expectBareChallenge,
  expectReadKeyPrincipal,
  postJsonWithKey,
  sendTwoBearers,
  sendWithKey,
} from './http.js';
