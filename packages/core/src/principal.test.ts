import { describe, expect, it } from 'vitest';
import { createApiKey } from './api-key/manage.js';
import { createMemoryApiKeyStore } from './api-key/memory-store.js';
import { createApiKeyVerifier } from './api-key/verifier.js';
import { freezePrincipal, freezeScopes, type Principal, principalToJSON } from './principal.js';
import { createTokenVerifier } from './token/index.js';

/** Every way a handler could try to change a principal; returns how many did NOT throw. */
function tamper(principal: Principal): number {
  const attempts: Array<() => unknown> = [
    () => (principal.scopes as Set<string>).add('admin'),
    () => (principal.scopes as Set<string>).delete('read'),
    () => (principal.scopes as Set<string>).clear(),
    () => Object.assign(principal, { subject: 'mallory' }),
    () => Object.assign(principal, { scopes: new Set(['admin']) }),
  ];
  if (principal.claims) {
    attempts.push(() => Object.assign(principal.claims!, { scope: 'admin', exp: 9e9 }));
  }
  if (principal.apiKey) {
    const key = principal.apiKey;
    attempts.push(
      () => (key.permissions as string[]).push('admin'),
      () => Object.assign(key, { permissions: ['admin'] }),
      () => Object.assign(key.metadata, { team: 'root' }),
      () => (key.expiresAt as Date).setTime(0),
      () => (key.expiresAt as Date).setFullYear(3000),
      () => (key.createdAt as Date).setUTCDate(1),
    );
  }
  let took = 0;
  for (const attempt of attempts) {
    try {
      attempt();
      took++;
    } catch (err) {
      expect(err).toBeInstanceOf(TypeError);
    }
  }
  return took;
}

describe('freezePrincipal', () => {
  it('gives read-only scopes that still read like a Set', () => {
    const scopes = freezeScopes(['read', 'write']);
    expect(scopes.has('read')).toBe(true);
    expect(scopes.size).toBe(2);
    expect([...scopes]).toEqual(['read', 'write']);
    expect(scopes instanceof Set).toBe(true);
    expect(() => (scopes as Set<string>).add('admin')).toThrow(TypeError);
    expect(scopes.has('admin')).toBe(false);
    expect(freezeScopes(scopes)).toBe(scopes);
  });

  it('freezes claims, scopes, the key record, its metadata and its dates', () => {
    const expiresAt = new Date('2100-01-01T00:00:00Z');
    const metadata = { team: 'notes', nested: { level: 1 } };
    const principal = freezePrincipal({
      kind: 'apiKey',
      subject: 'apikey:1',
      scopes: new Set(['read']),
      apiKey: {
        id: '1',
        name: 'k',
        prefix: 'rg_live_abcd',
        permissions: ['read'],
        subject: null,
        metadata,
        createdAt: new Date(0),
        expiresAt,
      },
    });
    expect(tamper(principal)).toBe(0);
    expect(() => Object.assign(principal.apiKey!.metadata.nested as object, { level: 2 })).toThrow(TypeError);
    expect(principal.apiKey!.expiresAt!.getTime()).toBe(expiresAt.getTime());
    // the input's own objects are copied, never shared with handlers
    expect(principal.apiKey!.expiresAt).not.toBe(expiresAt);
    expect(Object.isFrozen(metadata)).toBe(false);
    expect(JSON.parse(JSON.stringify(principalToJSON(principal))).apiKey.expiresAt).toBe(
      '2100-01-01T00:00:00.000Z',
    );
  });
});

describe('a handler mutating a cached principal changes nothing for the next request', () => {
  it('API keys: permissions, metadata and expiry stay as stored', async () => {
    const store = createMemoryApiKeyStore();
    const { key } = await createApiKey(store, {
      name: 'k',
      permissions: ['read'],
      metadata: { team: 'notes' },
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const verifier = createApiKeyVerifier({ store });
    const first = await verifier.verify(key);
    expect(tamper(first)).toBe(0);
    const second = await verifier.verify(key);
    expect([...second.scopes]).toEqual(['read']);
    expect(second.apiKey!.permissions).toEqual(['read']);
    expect(second.apiKey!.metadata).toEqual({ team: 'notes' });
    expect(second.apiKey!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    await verifier.close();
    await store.close();
  });

  it('tokens: the cached principal keeps its scopes and claims', async () => {
    const { privateKey, publicKey } = await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    );
    const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'k', alg: 'ES256' };
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({ scope: 'read', client_id: 'app' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'at+jwt' })
      .setIssuer('https://idp.example')
      .setAudience('https://api.example')
      .setSubject('alice')
      .setIssuedAt()
      .setJti('j1')
      .setExpirationTime('5m')
      .sign(privateKey);
    const verifier = createTokenVerifier({
      issuers: [
        {
          issuer: 'https://idp.example',
          audience: 'https://api.example',
          jwks: { keys: [jwk as never] },
        },
      ],
    });
    const first = await verifier.verify(token);
    expect(tamper(first)).toBe(0);
    const second = await verifier.verify(token);
    expect(second).toBe(first); // a cache hit: the very object a handler got before
    expect([...second.scopes]).toEqual(['read']);
    expect(second.claims!.scope).toBe('read');
    expect(second.subject).toBe('alice');
    await verifier.close();
  });
});
