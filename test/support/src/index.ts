// Repo-only test fixtures (private package). This file only re-exports.
/** The adapter tests' fixture, requests and checks: `adapter.createFixture()`, `adapter.sendWithKey(…)`. */
export * as adapter from './adapter.js';
export { type ApiKeySpec, createApiKeys } from './api-keys.js';
/** The OpenAPI tests' keys and checks: `openapi.createOpenApiKeys()`, `openapi.askEveryOperation(…)`. */
export * as openapi from './openapi.js';
export {
  dpopRequest,
  expectReplayRefusedBySecondGuard,
  type SharedReplayGuards,
  startGuardsSharingReplayStore,
} from './replay.js';
