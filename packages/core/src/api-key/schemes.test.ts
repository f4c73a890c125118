// Retiring API-key hash schemes: `acceptedSchemes` lists what lookups still try, so a random well-formed
// key costs one store lookup (not peppers + 1), a record under a retired scheme is refused, and records
// still under an accepted old scheme move forward on first use. The negative cache bounds repeats.
import { describe, expect, it } from 'vitest';
import { generateApiKey } from './format.js';
import { createApiKeyHasher } from './hash.js';
import { createApiKey } from './manage.js';
import { createMemoryApiKeyStore } from './memory-store.js';
import type { ApiKeyStore } from './store.js';
import { createApiKeyVerifier } from './verifier.js';

const P1 = { id: 'p1', secret: 'pepper-one-pepper-one-pepper-one-0' };
const P2 = { id: 'p2', secret: 'pepper-two-pepper-two-pepper-two-0' };

function counted(inner: ApiKeyStore) {
  const calls = { findByHash: 0 };
  const store: ApiKeyStore = {
    ...inner,
    async findByHash(hash) {
      calls.findByHash++;
      return inner.findByHash(hash);
    },
  };
  return { store, calls };
}

describe('API-key hash schemes can be retired', () => {
  it('by default every scheme is tried: an unknown key costs peppers + 1 lookups (once, then cached)', async () => {
    const { store, calls } = counted(createMemoryApiKeyStore());
    const verifier = createApiKeyVerifier({ store, peppers: [P2, P1] });
    await expect(verifier.verify(generateApiKey())).rejects.toMatchObject({ code: 'ERR_API_KEY_INVALID' });
    expect(calls.findByHash).toBe(3);
    await verifier.close();
  });

  it('acceptedSchemes: an unknown key costs one lookup, and none the second time', async () => {
    const { store, calls } = counted(createMemoryApiKeyStore());
    const verifier = createApiKeyVerifier({ store, peppers: [P2, P1], acceptedSchemes: ['hmac-sha256:p2'] });
    const unknown = generateApiKey();
    await expect(verifier.verify(unknown)).rejects.toMatchObject({ code: 'ERR_API_KEY_INVALID' });
    expect(calls.findByHash).toBe(1);
    await expect(verifier.verify(unknown)).rejects.toMatchObject({ code: 'ERR_API_KEY_INVALID' });
    expect(calls.findByHash).toBe(1);
    await verifier.close();
  });

  it('a record under a retired scheme is refused; one under an accepted old scheme is upgraded', async () => {
    const inner = createMemoryApiKeyStore();
    const plain = await createApiKey(inner, { name: 'old', permissions: ['read'] }); // sha256
    const peppered = await createApiKey(inner, {
      name: 'p1',
      permissions: ['read'],
      hasher: createApiKeyHasher({ peppers: [P1] }),
    });
    const verifier = createApiKeyVerifier({
      store: inner,
      peppers: [P2, P1],
      acceptedSchemes: ['hmac-sha256:p2', 'hmac-sha256:p1'],
    });
    await expect(verifier.verify(plain.key)).rejects.toMatchObject({ code: 'ERR_API_KEY_INVALID' });
    await expect(verifier.verify(peppered.key)).resolves.toMatchObject({ kind: 'apiKey' });
    const [upgraded] = (await inner.list()).filter((record) => record.id === peppered.record.id);
    expect(upgraded?.hashScheme).toBe('hmac-sha256:p2');
    await verifier.close();
  });

  it('refuses an unknown scheme, or a list without the current one, at start-up', () => {
    const store = createMemoryApiKeyStore();
    expect(() =>
      createApiKeyVerifier({ store, peppers: [P1], acceptedSchemes: ['hmac-sha256:nope'] }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => createApiKeyVerifier({ store, peppers: [P1], acceptedSchemes: ['sha256'] })).toThrow(
      /current scheme/,
    );
    expect(() => createApiKeyVerifier({ store, peppers: [P1], acceptedSchemes: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
