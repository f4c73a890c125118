/**
 * The API-key world the adapter tests and the conformance suite share: core's memory store, keys of
 * given permissions in it, the guard options that read it and the events the guard emits.
 */
import {
  type ApiKeyStore,
  type AuthEvent,
  type CreateApiKeyOptions,
  createApiKey,
  createMemoryApiKeyStore,
  type GuardOptions,
  type IssuedApiKey,
} from '@restguard/core';

/** One key to create: `createApiKey`'s options (name, permissions, metadata, expiry, rate limit). */
export type ApiKeySpec = CreateApiKeyOptions;

/**
 * Creates the keys in order, one after the other, and returns them in the same order.
 * @example
 * const [reader, writer] = await createApiKeys(store, [
 *   { name: 'reader', permissions: ['read'] },
 *   { name: 'writer', permissions: ['read', 'write'] },
 * ]);
 */
export async function createApiKeys(
  store: ApiKeyStore,
  specs: readonly ApiKeySpec[],
): Promise<IssuedApiKey[]> {
  const issued: IssuedApiKey[] = [];
  for (const spec of specs) issued.push(await createApiKey(store, spec));
  return issued;
}

/** What an adapter test guards its app with; see {@link createAdapterFixture}. */
export interface AdapterFixture {
  /** Core's memory store the guard reads the keys from. */
  readonly store: ApiKeyStore;
  /** Every event the guards built from {@link AdapterFixture.options} emitted, in order. */
  readonly events: AuthEvent[];
  /** Guard options: the store, the `base` options, collecting events, then `extra`. */
  options(extra?: Partial<GuardOptions>): GuardOptions;
  /** The `read` key (named `reader`) and the `read`+`write` key (named `writer`), once `createKeys()` ran. */
  readonly keys: { read: string; write: string };
  /** Creates the two keys of {@link AdapterFixture.keys}, reader first. */
  createKeys(): Promise<void>;
}

/**
 * An API-key store, the guard options that read it, and the events they collect.
 * @example
 * const fixture = createAdapterFixture({ tls: false });
 * beforeAll(fixture.createKeys);
 * app.use(restguard(fixture.options({ optional: true }))); // then send fixture.keys.read
 */
export function createAdapterFixture(base: Partial<GuardOptions> = {}): AdapterFixture {
  const store = createMemoryApiKeyStore();
  const events: AuthEvent[] = [];
  const keys = { read: '', write: '' };
  return {
    store,
    events,
    options: (extra = {}) => ({
      apiKeys: { store },
      ...base,
      onEvent: (event) => events.push(event),
      ...extra,
    }),
    keys,
    async createKeys() {
      const [reader, writer] = await createApiKeys(store, [
        { name: 'reader', permissions: ['read'] },
        { name: 'writer', permissions: ['read', 'write'] },
      ]);
      keys.read = reader!.key;
      keys.write = writer!.key;
    },
  };
}
