// Repo-only test fixtures (private package). This file only re-exports.
/** The adapter tests' fixture, requests and checks: `adapter.createFixture()`, `adapter.sendWithKey(…)`. */
export * as adapter from './adapter.js';
export { type AdapterFixture, type ApiKeySpec, createAdapterFixture, createApiKeys } from './api-keys.js';
export {
  expectBareChallenge,
  expectReadKeyPrincipal,
  postJsonWithKey,
  sendTwoBearers,
  sendWithKey,
} from './http.js';
/** The OpenAPI tests' keys and checks: `openapi.createOpenApiKeys()`, `openapi.askEveryOperation(…)`. */
export * as openapi from './openapi.js';
export {
  dpopRequest,
  expectReplayRefusedBySecondGuard,
  type SharedReplayGuards,
  startGuardsSharingReplayStore,
} from './replay.js';
