// API keys: format, hashing, management, the verifier the guard uses, and the store interface.
// Docs: packages/core/docs/api-keys.md. Internal helpers (cache, base62, store-call wrapping) stay private.
export {
  API_KEY_PREFIX_PATTERN,
  API_KEY_SCAN_PATTERN,
  DEFAULT_API_KEY_PREFIX,
  generateApiKey,
  isApiKeyFormat,
  isValidApiKeyPrefix,
  type ParsedApiKey,
  parseApiKey,
} from './format.js';
export {
  type ApiKeyHasher,
  type ApiKeyHasherOptions,
  type ApiKeyPepper,
  createApiKeyHasher,
  createWebCryptoApiKeyHasher,
  hashApiKey,
} from './hash.js';
export {
  type ApiKeySummary,
  type CreateApiKeyOptions,
  createApiKey,
  getApiKey,
  type IssuedApiKey,
  listApiKeys,
  newApiKeyId,
  type RotateApiKeyOptions,
  revokeApiKey,
  rotateApiKey,
  setApiKeyRateLimit,
  toApiKeyInfo,
  toApiKeySummary,
} from './manage.js';
export { createMemoryApiKeyStore } from './memory-store.js';
export type { ApiKeyRecord, ApiKeyStore, ApiKeyStoreChange } from './store.js';
// ApiKeyManagementError(+Reason), PERMISSION_PATTERN and the validate* helpers.
export * from './validate.js';
export {
  type ApiKeyCacheOptions,
  type ApiKeyCacheStats,
  type ApiKeyOptions,
  type ApiKeyVerifier,
  createApiKeyVerifier,
} from './verifier.js';
