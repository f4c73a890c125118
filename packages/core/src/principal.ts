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

/** Who made a request, how, and what they may do. */
export interface Principal {
  readonly kind: PrincipalKind;
  /** `sub` of a token or session; the key's owner (or `apikey:<id>`) for an API key. */
  readonly subject: string;
  /** Scopes (tokens, sessions) or permissions (API keys): one set, one authorization step. */
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
