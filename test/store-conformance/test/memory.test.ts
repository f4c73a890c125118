import { createMemoryApiKeyStore, createMemoryClientCertificateStore } from '@restguard/core';
import { describeClientCertificateStoreConformance, describeStoreConformance } from '../src/index.js';

describeStoreConformance('memory', async () => ({ store: createMemoryApiKeyStore() }), {
  revocationBoundMs: 1000,
  shared: false,
});

describeClientCertificateStoreConformance(
  'memory',
  async () => ({ store: createMemoryClientCertificateStore() }),
  { shared: false },
);
