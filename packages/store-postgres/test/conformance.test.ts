import { fileURLToPath } from 'node:url';
import {
  describeClientCertificateStoreConformance,
  describeStoreConformance,
} from '@restguard/store-conformance';
import { createPostgresApiKeyStore, createPostgresClientCertificateStore } from '../src/index.js';
import { dropSchema, freshSchema, testDatabaseUrl } from './database.js';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const connectionString = testDatabaseUrl();

describeStoreConformance(
  'postgres',
  async () => {
    const schema = freshSchema();
    return {
      store: createPostgresApiKeyStore({ connectionString, schema }),
      openAnother: () => createPostgresApiKeyStore({ connectionString, schema }),
      child: { module: DIST, factory: 'createPostgresApiKeyStore', options: { connectionString, schema } },
      destroy: () => dropSchema(schema),
    };
  },
  { revocationBoundMs: 1000, shared: true },
);

describeClientCertificateStoreConformance(
  'postgres',
  async () => {
    const schema = freshSchema();
    return {
      store: createPostgresClientCertificateStore({ connectionString, schema }),
      openAnother: () => createPostgresClientCertificateStore({ connectionString, schema }),
      destroy: () => dropSchema(schema),
    };
  },
  { shared: true },
);
