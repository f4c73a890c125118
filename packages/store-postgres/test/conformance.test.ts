import { fileURLToPath } from 'node:url';
import { describeStoreConformance } from '@restguard/store-conformance';
import { createPostgresApiKeyStore } from '../src/index.js';
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
