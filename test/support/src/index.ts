// Repo-only test fixtures (private package). This file only re-exports.
export { type AdapterFixture, type ApiKeySpec, createAdapterFixture, createApiKeys } from './api-keys.js';
export { postJsonWithKey, sendTwoBearers, sendWithKey } from './http.js';
export {
  apiKeyScopes,
  askEveryOperation,
  createOpenApiKeys,
  type OpenApiDocument,
  type OpenApiKeys,
  type OpenApiOperation,
  type OperationCheck,
  type PermissionKey,
} from './openapi.js';
export { dpopRequest, type SharedReplayGuards, startGuardsSharingReplayStore } from './replay.js';
