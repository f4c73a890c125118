/**
 * Client certificates as a credential of their own: which verified client certificates (mTLS,
 * RFC 8705 §2.1 PKI method) are allowed, matched by thumbprint, subject alternative name or subject,
 * and the permissions each gets. One interface in core; the memory store (tests), and
 * `@restguard/store-sqlite` / `@restguard/store-postgres` implement it.
 */

/** How a rule names certificates: the SHA-256 thumbprint (RFC 8705 §3.1), a SAN or the subject. */
export type ClientCertificateMatch = 'thumbprint' | 'san' | 'subject';

/** One allowed certificate (or set of certificates, for a SAN or subject rule). */
export interface ClientCertificateRule {
  /** Opaque id, e.g. `cert_…` (the CLI's handle). */
  id: string;
  /** A label, and the principal's subject. */
  name: string;
  match: ClientCertificateMatch;
  /**
   * thumbprint: base64url SHA-256 of the DER; san: `dns:…`, `email:…`, `uri:…` or `ip:…`; subject:
   * the RFC 4514 string as {@link readCertificateNames} writes it (e.g. `CN=machine-1,O=Example`).
   */
  value: string;
  permissions: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** What every client-certificate store implements. Failures reject (the guard answers 503). */
export interface ClientCertificateStore {
  /** Creates or upgrades the schema. Idempotent. */
  migrate(): Promise<void>;
  /** Adds a rule; rejects when an active rule with the same match and value exists. */
  insert(rule: ClientCertificateRule): Promise<void>;
  /** Active rules whose `match`/`value` is one of `keys`. */
  findActive(
    keys: ReadonlyArray<{ match: ClientCertificateMatch; value: string }>,
  ): Promise<ClientCertificateRule[]>;
  /** The rules; revoked ones only with `includeRevoked`. */
  list(options?: { includeRevoked?: boolean }): Promise<ClientCertificateRule[]>;
  /** Sets `revokedAt` once; false when there is no such rule. */
  revoke(id: string, at: Date): Promise<boolean>;
  /** Releases the store's connections. */
  close(): Promise<void>;
}

/**
 * An in-memory store, for tests and single-process tools.
 * @example
 * const store = createMemoryClientCertificateStore();
 * await store.insert({ id: 'cert_1', name: 'billing', match: 'san', value: 'dns:billing.internal',
 *   permissions: ['read'], createdAt: new Date(), revokedAt: null });
 */
export function createMemoryClientCertificateStore(): ClientCertificateStore {
  const rules = new Map<string, ClientCertificateRule>();
  const copy = (rule: ClientCertificateRule): ClientCertificateRule => ({
    ...rule,
    permissions: [...rule.permissions],
  });
  return {
    async migrate() {},
    async insert(rule) {
      for (const other of rules.values()) {
        if (!other.revokedAt && other.match === rule.match && other.value === rule.value) {
          throw new Error(`an active rule already allows ${rule.match} ${rule.value}`);
        }
      }
      if (rules.has(rule.id)) throw new Error(`duplicate id ${rule.id}`);
      rules.set(rule.id, copy(rule));
    },
    async findActive(keys) {
      return [...rules.values()]
        .filter(
          (rule) => !rule.revokedAt && keys.some((k) => k.match === rule.match && k.value === rule.value),
        )
        .map(copy);
    },
    async list(options = {}) {
      return [...rules.values()].filter((rule) => options.includeRevoked || !rule.revokedAt).map(copy);
    },
    async revoke(id, at) {
      const rule = rules.get(id);
      if (!rule) return false;
      rule.revokedAt ??= at;
      return true;
    },
    async close() {},
  };
}
