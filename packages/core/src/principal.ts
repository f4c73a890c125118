import type { JWTPayload } from 'jose';

/** How a principal authenticated. */
export type PrincipalKind = 'token' | 'apiKey' | 'session' | 'clientCertificate';

/** The public part of an API key record: never its hash, never the key. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  /** Display prefix, e.g. `rg_live_Ab3x`, safe to show. */
  readonly prefix: string;
  readonly permissions: readonly string[];
  readonly subject: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  /** The key's own rate limit (`100/min`); null or absent: the guard's default. */
  readonly rateLimit?: string | null;
}

/** The client certificate behind a `clientCertificate` principal, and the rule that allowed it. */
export interface ClientCertificateInfo {
  readonly ruleId: string;
  readonly match: 'thumbprint' | 'san' | 'subject';
  /** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER certificate. */
  readonly thumbprint: string;
  /** RFC 4514 subject. */
  readonly subject: string;
  readonly subjectAltNames: readonly string[];
}

/**
 * Who made a request, how, and what they may do. Immutable all the way down (see
 * {@link freezePrincipal}): cached principals are shared between requests, so nothing one handler
 * does to `req.auth` can change what the next request with the same credential is granted.
 */
export interface Principal {
  readonly kind: PrincipalKind;
  /** `sub` of a token or session; the key's owner (or `apikey:<id>`) for an API key. */
  readonly subject: string;
  /**
   * Scopes (tokens, sessions) or permissions (API keys): one set, one authorization step. A read-only
   * view: `add`, `delete` and `clear` throw (see {@link freezeScopes}).
   */
  readonly scopes: ReadonlySet<string>;
  /** The token's or session's issuer; undefined for API keys. */
  readonly issuer?: string;
  /** OAuth client (`client_id` / `azp`) when known. */
  readonly clientId?: string;
  /** Verified claims (token: the access token's; session: the ID token's). */
  readonly claims?: Readonly<JWTPayload>;
  /** The key record, for API keys. */
  readonly apiKey?: ApiKeyInfo;
  /** The certificate and its rule, for client certificates. */
  readonly clientCertificate?: ClientCertificateInfo;
}

/**
 * A JSON-safe view of a principal (scopes as a sorted array), e.g. for `GET /api/me`.
 * @example
 * res.json(principalToJSON(req.auth));
 */
export function principalToJSON(principal: Principal): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: principal.kind,
    subject: principal.subject,
    scopes: [...principal.scopes].sort(),
  };
  if (principal.issuer) out.issuer = principal.issuer;
  if (principal.clientId) out.clientId = principal.clientId;
  if (principal.claims) out.claims = principal.claims;
  if (principal.apiKey) {
    const { id, name, prefix, permissions, subject, createdAt, expiresAt, rateLimit } = principal.apiKey;
    out.apiKey = { id, name, prefix, permissions, subject, createdAt, expiresAt };
    if (rateLimit) (out.apiKey as Record<string, unknown>).rateLimit = rateLimit;
  }
  if (principal.clientCertificate) out.clientCertificate = { ...principal.clientCertificate };
  return out;
}

/**
 * Parses scopes from claims: `scope` (space-separated, empty pieces dropped), `scp` (array or
 * space-separated string), or a configured claim such as `permissions`. Case-sensitive.
 * @example
 * scopesFromClaims({ scope: 'read  write' }); // Set { 'read', 'write' }
 */
export function scopesFromClaims(claims: Record<string, unknown>, claim?: string): Set<string> {
  const out = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string') {
      for (const piece of value.split(' ')) if (piece) out.add(piece);
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item && !item.includes(' ')) out.add(item);
    }
  };
  if (claim) add(claims[claim]);
  else {
    add(claims.scope);
    add(claims.scp);
  }
  return out;
}

/** A `Set` whose mutators throw: what {@link freezeScopes} returns. */
class ReadonlyScopeSet extends Set<string> {
  constructor(values: Iterable<string>) {
    super();
    for (const value of values) super.add(value);
    Object.freeze(this);
  }
  override add(_value: string): never {
    throw new TypeError("A principal's scopes are read-only.");
  }
  override delete(_value: string): never {
    throw new TypeError("A principal's scopes are read-only.");
  }
  override clear(): never {
    throw new TypeError("A principal's scopes are read-only.");
  }
}

/**
 * A read-only set of scopes: `has`, `size` and iteration work as on any `Set`; `add`, `delete` and
 * `clear` throw a `TypeError`. Sets already made by it are returned as they are.
 * @example
 * const scopes = freezeScopes(['read']);
 * scopes.has('read'); // true
 * scopes.add('admin'); // throws TypeError
 */
export function freezeScopes(values: Iterable<string>): ReadonlySet<string> {
  return values instanceof ReadonlyScopeSet ? values : new ReadonlyScopeSet(values);
}

const DATE_SETTERS = Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'));

/** A `Date` whose setters throw. */
class ReadonlyDate extends Date {}
for (const name of DATE_SETTERS) {
  Object.defineProperty(ReadonlyDate.prototype, name, {
    value() {
      throw new TypeError("A principal's dates are read-only.");
    },
  });
}

function freezeDate(date: Date | null): Date | null {
  return date === null ? null : Object.freeze(new ReadonlyDate(date.getTime()));
}

/** Freezes plain JSON-like data in place, objects and arrays alike. */
function deepFreezeData<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const name of Object.keys(value)) deepFreezeData((value as Record<string, unknown>)[name]);
  }
  return value;
}

/**
 * Makes a principal immutable all the way down, so that it can be cached and shared between requests:
 * the principal, its claims (deep), its scopes ({@link freezeScopes}) and its API-key record (a copy:
 * permissions and metadata frozen, dates whose setters throw). Claims are frozen in place; the key
 * record is copied, so the store's own record is never shared with a handler.
 * @example
 * const principal = freezePrincipal({ kind: 'token', subject: 'alice', scopes: new Set(['read']) });
 * principal.scopes.add('admin'); // throws TypeError
 */
export function freezePrincipal(principal: Principal): Principal {
  if (Object.isFrozen(principal) && principal.scopes instanceof ReadonlyScopeSet) return principal;
  const out: { -readonly [K in keyof Principal]: Principal[K] } = {
    ...principal,
    scopes: freezeScopes(principal.scopes),
  };
  if (principal.claims) out.claims = deepFreezeData(principal.claims);
  if (principal.clientCertificate) {
    const info = principal.clientCertificate;
    out.clientCertificate = Object.freeze({
      ...info,
      subjectAltNames: Object.freeze([...info.subjectAltNames]),
    });
  }
  if (principal.apiKey) {
    const key = principal.apiKey;
    out.apiKey = Object.freeze({
      ...key,
      permissions: Object.freeze([...key.permissions]),
      metadata: deepFreezeData(structuredClone(key.metadata)),
      createdAt: freezeDate(key.createdAt)!,
      expiresAt: freezeDate(key.expiresAt),
    });
  }
  return Object.freeze(out);
}
