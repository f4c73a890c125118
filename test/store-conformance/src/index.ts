/**
 * `@restguard/store-conformance`: one vitest suite every API-key store must pass (memory, SQLite,
 * PostgreSQL): migrations from an empty database and re-running them, record round trips, revoke,
 * rotate, lastUsedAt, re-hashing, concurrent use, the verifier's behaviour over the store, 503 when
 * the store is down, and — for shared databases — revocation reaching another instance and another
 * running process within the contract's bound.
 */
import { describe } from 'vitest';
import { describeBehaviourConformance } from './behaviour.js';
import type { StoreConformanceOptions, StoreFactory } from './fixture.js';
import { describeProcessConformance } from './processes.js';
import { describeRecordConformance } from './records.js';

export {
  type ClientCertificateStoreFactory,
  describeClientCertificateStoreConformance,
  makeRule,
} from './client-certificates.js';
export type { ChildStoreSpec, StoreConformanceOptions, StoreFactory, StoreFixture } from './fixture.js';
export { makeRecord } from './fixture.js';

/**
 * Registers the conformance suite for one store. `factory` returns a fresh, empty database per test.
 * @example
 * describeStoreConformance('sqlite', async () => {
 *   const path = join(await mkdtemp(join(tmpdir(), 'rg-')), 'keys.db');
 *   return { store: createSqliteApiKeyStore({ path }), openAnother: () => createSqliteApiKeyStore({ path }) };
 * }, { revocationBoundMs: 5000, shared: true });
 */
export function describeStoreConformance(
  name: string,
  factory: StoreFactory,
  options: StoreConformanceOptions,
): void {
  describe(`API-key store conformance: ${name}`, () => {
    describeRecordConformance(factory, options);
    describeBehaviourConformance(factory);
    if (options.shared)
      describe('a second running process', () => describeProcessConformance(factory, options));
  });
}
