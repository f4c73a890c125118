import { createMemoryApiKeyStore } from '@restguard/core';
import { describeStoreConformance } from '../src/index.js';

describeStoreConformance('memory', async () => ({ store: createMemoryApiKeyStore() }), {
  revocationBoundMs: 1000,
  shared: false,
});
