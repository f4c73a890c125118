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
  const entries = new Map<string, Entry>();
  const index = new Map<string, string>();
  const grants = new Map<string, Set<string>>();

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
  let writes = 0;

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        if (++writes % 500 === 0) sweep();
        const expiresAt =
          typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        entries.set(key(id), { payload, expiresAt });
        if (model === 'Session' && payload.uid) index.set(`uid:${payload.uid}`, key(id));
        if (payload.userCode) index.set(`userCode:${payload.userCode}`, key(id));
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          grants.set(payload.grantId, members);
        }
      },
      async find(id) {
        return read(key(id));
      },
      async findByUid(uid) {
        const target = index.get(`uid:${uid}`);
        return target === undefined ? undefined : read(target);
      },
      async findByUserCode(userCode) {
        const target = index.get(`userCode:${userCode}`);
        return target === undefined ? undefined : read(target);
      },
      async consume(id) {
        const payload = read(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of grants.get(grantId) ?? []) entries.delete(member);
        grants.delete(grantId);
      },
    };
  };
}
