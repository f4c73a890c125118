import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeClientCertificateStoreConformance,
  describeStoreConformance,
} from '@restguard/store-conformance';
import { createSqliteApiKeyStore, createSqliteClientCertificateStore } from '../src/index.js';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describeStoreConformance(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'restguard-sqlite-'));
    const path = join(dir, 'keys.db');
    return {
      store: createSqliteApiKeyStore({ path }),
      openAnother: () => createSqliteApiKeyStore({ path: `sqlite:${path}` }),
      child: { module: DIST, factory: 'createSqliteApiKeyStore', options: { path } },
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { revocationBoundMs: 5000, shared: true },
);

describeClientCertificateStoreConformance(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'restguard-sqlite-certs-'));
    const path = join(dir, 'keys.db');
    return {
      store: createSqliteClientCertificateStore({ path }),
      openAnother: () => createSqliteClientCertificateStore({ path: `sqlite:${path}` }),
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { shared: true },
);
