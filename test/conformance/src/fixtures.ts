/**
 * The world every adapter is tested against: a test issuer over HTTPS (JWKS, discovery,
 * introspection), a second issuer whose JWKS is down, API keys in core's memory store, and the guard
 * options each adapter receives — the same object for all of them, as users would pass it.
 */
import {
  type ApiKeyStore,
  type AuthEvent,
  createMemoryApiKeyStore,
  createMemoryClientCertificateStore,
  type GuardOptions,
  revokeApiKey,
} from '@restguard/core';
import { createRateLimitBackend } from '@restguard/core/node';
import { createApiKeys } from '@restguard/test-support';
import { createTestIssuer, type FetchLike, type TestIssuer } from '@restguard/testing';
import { type ClientCertificates, createClientCertificates, thumbprint } from './mtls.js';

/** The API's audience, as in the demo contract. */
export const AUDIENCE = 'https://notes.restguard.test';
/** The HTTPS origin plain-HTTP GETs are redirected to. */
export const PUBLIC_ORIGIN = 'https://api.restguard.test';
/** The challenge realm (checks that the option reaches every adapter). */
export const REALM = 'notes';

/** Credentials the scenarios use, minted once. */
export interface Credentials {
  readonly token: {
    read: string;
    /** Same key and claims as `read` but a new `jti`: never seen (nor cached) before its scenario. */
    readFresh: string;
    readWrite: string;
    write: string;
    expired: string;
    wrongKey: string;
    wrongAudience: string;
    algNone: string;
    /** From the issuer whose JWKS is down: its key can never be found. */
    unknownKidDown: string;
    /** Bound to `clientCertificates.bound` (RFC 8705 `cnf["x5t#S256"]`). */
    bound: string;
    /** Scope `read`, used only by the scenarios where a handler tampers with `req.auth`. */
    tamper: string;
  };
  readonly opaque: { read: string; revoked: string };
  readonly apiKey: {
    read: string;
    readWrite: string;
    revoked: string;
    /** Its own rate limit: one request per hour (the first rate-limit scenario spends it). */
    limited: string;
    badChecksum: string;
    malformed: string;
    /** Permission `read`, metadata and an expiry, used only by the tampering scenarios. */
    tamper: string;
  };
}

export interface Fixtures {
  readonly issuer: TestIssuer;
  /** An issuer whose JWKS endpoint refuses every connection: its keys are never known. */
  readonly downIssuer: TestIssuer;
  readonly credentials: Credentials;
  readonly clientCertificates: ClientCertificates;
  /** Guard options for a profile; `onEvent` collects the adapter's events. */
  guardOptions(profile: 'strict' | 'optional', onEvent: (event: AuthEvent) => void): GuardOptions;
  close(): Promise<void>;
}

/** Flips the last character of a key, so its checksum no longer matches. */
function breakChecksum(key: string): string {
  const last = key.at(-1) === 'A' ? 'B' : 'A';
  return key.slice(0, -1) + last;
}

/** The issuer the scenarios use and one whose JWKS is down, with a fetch that trusts both CAs. */
async function startIssuers(): Promise<{ issuer: TestIssuer; downIssuer: TestIssuer; fetch: FetchLike }> {
  const [issuer, downIssuer] = await Promise.all([
    createTestIssuer({ https: true, audience: AUDIENCE, algorithms: ['ES256', 'RS256'] }),
    createTestIssuer({ https: true, audience: AUDIENCE, algorithms: ['ES256'] }),
  ]);
  downIssuer.setMode('refuse', 'jwks');
  // The test issuer has no login pages; the login route only needs to know where to send the browser.
  issuer.setMetadata({
    authorization_endpoint: `${issuer.url}/authorize`,
    end_session_endpoint: `${issuer.url}/logout`,
  });
  // Each test issuer has its own CA: route each request to the fetch that trusts the right one.
  const fetch: FetchLike = (input, init) =>
    (String(input).startsWith(downIssuer.origin) ? downIssuer.fetch : issuer.fetch)(input, init);
  return { issuer, downIssuer, fetch };
}

/** The API keys of {@link Credentials} in core's memory store (one of them revoked). */
async function createKeys(store: ApiKeyStore): Promise<Credentials['apiKey']> {
  const [readKey, readWriteKey, revokedKey, tamperKey, limitedKey] = await createApiKeys(store, [
    { name: 'read', permissions: ['read'] },
    { name: 'read+write', permissions: ['read', 'write'] },
    { name: 'read', permissions: ['read'] },
    {
      name: 'tamper',
      permissions: ['read'],
      metadata: { team: 'notes' },
      expiresAt: new Date(Date.now() + 86_400_000),
    },
    { name: 'limited', permissions: ['read'], rateLimit: '1/hour' },
  ]);
  await revokeApiKey(store, revokedKey!.record.id);
  return {
    read: readKey!.key,
    readWrite: readWriteKey!.key,
    revoked: revokedKey!.key,
    limited: limitedKey!.key,
    badChecksum: breakChecksum(readKey!.key),
    malformed: 'rg_live_tooShort',
    tamper: tamperKey!.key,
  };
}

/** Client certificates as principals: one allowed by thumbprint, one by subject, one revoked. */
async function createCertificateStore(clientCertificates: ClientCertificates) {
  const certificateStore = createMemoryClientCertificateStore();
  const rule = (
    id: string,
    name: string,
    match: 'thumbprint' | 'subject',
    value: string,
    permissions: string[],
  ) =>
    certificateStore.insert({ id, name, match, value, permissions, createdAt: new Date(), revokedAt: null });
  await rule('cert_reader', 'machine-reader', 'thumbprint', thumbprint(clientCertificates.reader.certPem), [
    'read',
  ]);
  await rule('cert_writer', 'machine-writer', 'subject', 'CN=machine-writer', ['read', 'write']);
  await rule(
    'cert_revoked',
    'machine-revoked',
    'thumbprint',
    thumbprint(clientCertificates.revoked.certPem),
    ['read'],
  );
  await certificateStore.revoke('cert_revoked', new Date());
  return certificateStore;
}

/** The tokens of {@link Credentials}, minted once. */
async function mintTokens(
  issuer: TestIssuer,
  downIssuer: TestIssuer,
  clientCertificates: ClientCertificates,
): Promise<Credentials['token']> {
  const now = Math.floor(Date.now() / 1000);
  return {
    read: await issuer.mint({ scope: 'read' }),
    readFresh: await issuer.mint({ scope: 'read' }),
    readWrite: await issuer.mint({ scope: 'read write' }),
    write: await issuer.mint({ scope: 'write' }),
    expired: await issuer.mint({ scope: 'read', iat: now - 600, exp: now - 300 }),
    wrongKey: await issuer.bad.wrongKey({ scope: 'read' }),
    wrongAudience: await issuer.mint({ scope: 'read', aud: 'https://other.restguard.test' }),
    algNone: await issuer.bad.algNone({ scope: 'read' }),
    unknownKidDown: await downIssuer.mint({ scope: 'read' }),
    bound: await issuer.mint({
      scope: 'read',
      cnf: { 'x5t#S256': thumbprint(clientCertificates.bound.certPem) },
    }),
    tamper: await issuer.mint({ scope: 'read' }),
  };
}

/** The opaque tokens of {@link Credentials}: one active, one revoked. */
function mintOpaque(issuer: TestIssuer): Credentials['opaque'] {
  const revoked = issuer.mintOpaque({ scope: 'read' });
  issuer.revokeOpaque(revoked);
  return { read: issuer.mintOpaque({ scope: 'read' }), revoked };
}

/** `dir`: where files the servers read (the client CA) are written. */
export async function createFixtures(dir: string): Promise<Fixtures> {
  const clientCertificates = await createClientCertificates(dir);
  const { issuer, downIssuer, fetch } = await startIssuers();
  const store = createMemoryApiKeyStore();
  const apiKey = await createKeys(store);
  const certificateStore = await createCertificateStore(clientCertificates);
  const opaque = mintOpaque(issuer);
  const token = await mintTokens(issuer, downIssuer, clientCertificates);
  const credentials: Credentials = { token, opaque, apiKey };

  return {
    issuer,
    downIssuer,
    credentials,
    clientCertificates,
    guardOptions: (profile, onEvent) => ({
      realm: REALM,
      tokens: {
        issuers: [
          { issuer: issuer.url, audience: AUDIENCE, introspection: { ...issuer.client } },
          { issuer: downIssuer.url, audience: AUDIENCE, jwksUri: downIssuer.jwksUri },
        ],
        fetch,
      },
      apiKeys: { store },
      clientCertificates: { store: certificateStore },
      // Browser SSO: the adapters serve its /auth/* routes generically (login redirects to the issuer).
      sessions: {
        issuer: issuer.url,
        clientId: 'notes-web',
        clientSecret: 'notes-web-secret',
        baseUrl: PUBLIC_ORIGIN,
        secrets: ['conformance-session-secret-0123456789abcdef'],
        resource: AUDIENCE,
        fetch,
      },
      tls: { publicOrigin: PUBLIC_ORIGIN },
      optional: profile === 'optional',
      // Each guard (adapter, profile) counts in its own memory: every adapter sees the same budgets.
      rateLimit: { backend: createRateLimitBackend({ store: 'memory' }), default: '1000/min' },
      onEvent,
    }),
    async close() {
      await Promise.all([issuer.close(), downIssuer.close(), store.close()]);
    },
  };
}
