// The dev issuer's storage for oidc-provider's stateful models (sessions, interactions, grants,
// codes, tokens): in memory, one store per issuer, each entry dropped when it expires. Lost on
// restart by design: a development issuer keeps its keys (see keys.ts), not its sessions.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/** Models whose records belong to a grant and go when the grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * Creates an oidc-provider adapter factory backed by one in-memory store.
 *
 * @example
 * ```ts
 * new Provider(issuer, { adapter: createMemoryAdapter(), ... });
 * ```
 */
export function createMemoryAdapter(): AdapterFactory {
  const store = createMemoryStore();
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => store.upsert(model, key(id), payload, expiresIn),
      find: async (id) => store.read(key(id)),
      findByUid: async (uid) => store.readIndexed(`uid:${uid}`),
      findByUserCode: async (userCode) => store.readIndexed(`userCode:${userCode}`),
      async consume(id) {
        const payload = store.read(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => store.remove(key(id)),
      revokeByGrantId: async (grantId) => store.revokeGrant(grantId),
    };
  };
}

/** The entries of every model, the uid/userCode index and each grant's members, swept now and then. */
function createMemoryStore() {
  const entries = new Map<string, Entry>();
  const index = new Map<string, string>();
  const grants = new Map<string, Set<string>>();
  let writes = 0;

  const read = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.payload;
    entries.delete(key);
    return undefined;
  };
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
    for (const [key, target] of index) if (!entries.has(target)) index.delete(key);
    for (const [grantId, members] of grants) {
      for (const member of members) if (!entries.has(member)) members.delete(member);
      if (members.size === 0) grants.delete(grantId);
    }
  };
  const upsert = (model: string, key: string, payload: AdapterPayload, expiresIn: number | undefined) => {
    if (++writes % 500 === 0) sweep();
    const expiresAt =
      typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    entries.set(key, { payload, expiresAt });
    if (model === 'Session' && payload.uid) index.set(`uid:${payload.uid}`, key);
    if (payload.userCode) index.set(`userCode:${payload.userCode}`, key);
    if (GRANTABLE.has(model) && payload.grantId) {
      const members = grants.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      grants.set(payload.grantId, members);
    }
  };
  return {
    read,
    upsert,
    readIndexed(indexKey: string): AdapterPayload | undefined {
      const target = index.get(indexKey);
      return target === undefined ? undefined : read(target);
    },
    remove(key: string): void {
      entries.delete(key);
    },
    revokeGrant(grantId: string): void {
      for (const member of grants.get(grantId) ?? []) entries.delete(member);
      grants.delete(grantId);
    },
  };
}
