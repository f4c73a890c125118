// Shared scope sets (issue 17's fresh-token path): principals whose scope claim has the same text share
// one frozen set; anything that is not that text alone (an `scp` beside `scope`, a configured claim,
// more distinct texts than the memo holds) still gets exactly the scopes its own claims give.
import { createTestIssuer, type TestIssuer } from '@restguard/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifierFor } from './token-helpers.js';

// real sockets and key generation on a shared machine: generous limits (no timed assertions)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
}, 30_000);
afterAll(() => issuer.close());

const sorted = (scopes: ReadonlySet<string>) => [...scopes].sort();

describe('shared scope sets', () => {
  it('gives two tokens with the same scope text one read-only set', async () => {
    const verifier = verifierFor(issuer);
    const first = await verifier.verify(await issuer.mint({ scope: 'notes:read notes:write' }));
    const second = await verifier.verify(await issuer.mint({ scope: 'notes:read notes:write' }));
    expect(second.scopes).toBe(first.scopes);
    expect(sorted(second.scopes)).toEqual(['notes:read', 'notes:write']);
    expect(() => (second.scopes as Set<string>).add('admin')).toThrow(TypeError);
    expect(() => (second.scopes as Set<string>).delete('notes:read')).toThrow(TypeError);
    expect(sorted(first.scopes)).toEqual(['notes:read', 'notes:write']);
  });

  it('adds an scp claim beside the same scope text (not the shared set)', async () => {
    const verifier = verifierFor(issuer);
    const plain = await verifier.verify(await issuer.mint({ scope: 'notes:read' }));
    const both = await verifier.verify(await issuer.mint({ scope: 'notes:read', scp: ['admin'] }));
    expect(sorted(plain.scopes)).toEqual(['notes:read']);
    expect(sorted(both.scopes)).toEqual(['admin', 'notes:read']);
  });

  it('reads a configured claim by its own text, whatever the scope claim says', async () => {
    const byScope = await verifierFor(issuer).verify(await issuer.mint({ scope: 'a b' }));
    const byPermissions = await verifierFor(issuer, { scopeClaim: 'permissions' }).verify(
      await issuer.mint({ scope: 'c', permissions: 'a b' }),
    );
    const absent = await verifierFor(issuer, { scopeClaim: 'permissions' }).verify(
      await issuer.mint({ scope: 'a b' }),
    );
    expect(sorted(byScope.scopes)).toEqual(['a', 'b']);
    expect(sorted(byPermissions.scopes)).toEqual(['a', 'b']);
    expect(sorted(absent.scopes)).toEqual([]);
  });

  it('stays exact past the memo bound (300 distinct scope texts, then the first again)', async () => {
    const verifier = verifierFor(issuer);
    const texts = Array.from({ length: 300 }, (_, i) => `s${i} common`);
    const tokens = await Promise.all(texts.map((scope) => issuer.mint({ scope })));
    for (const [i, token] of tokens.entries()) {
      expect(sorted((await verifier.verify(token)).scopes)).toEqual(['common', `s${i}`]);
    }
    const again = await verifier.verify(await issuer.mint({ scope: texts[0] }));
    expect(sorted(again.scopes)).toEqual(['common', 's0']);
  });
});
