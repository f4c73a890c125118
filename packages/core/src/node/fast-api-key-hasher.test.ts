// Differential test: the node:crypto API-key hasher (explicit, and the runtime default on Node.js) gives
// byte-for-byte the hashes, schemes and configuration errors of the portable Web Crypto hasher, over
// generated keys, peppers and odd strings.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../api-key/format.js';
import {
  type ApiKeyHasherOptions,
  createApiKeyHasher,
  createWebCryptoApiKeyHasher,
} from '../api-key/hash.js';
import { createNodeApiKeyHasher } from './fast-api-key-hasher.js';

const ODD = ['', 'a', 'é', '🔑', '\ud800', 'x'.repeat(10_000), 'rg_live_', '\u0000\u001f', 'Bearer x,y'];

describe('node:crypto API-key hasher vs the default hasher', () => {
  const configs: Array<[string, ApiKeyHasherOptions]> = [
    ['no pepper (sha256)', {}],
    ['one byte pepper', { peppers: [{ id: 'p1', secret: randomBytes(32) }] }],
    [
      'string pepper, two generations',
      {
        peppers: [
          { id: '2026-02', secret: 'ü'.repeat(20) },
          { id: '2025.1_a-b', secret: randomBytes(64) },
        ],
      },
    ],
  ];

  it.each(configs)(
    '%s: same schemes and the same hash for every key under every scheme',
    async (_name, options) => {
      const reference = createWebCryptoApiKeyHasher(options);
      const node = createNodeApiKeyHasher(options);
      const runtimeDefault = createApiKeyHasher(options);
      expect(node.currentScheme).toBe(reference.currentScheme);
      expect(node.schemes).toEqual(reference.schemes);
      expect(runtimeDefault.schemes).toEqual(reference.schemes);
      const keys = [
        ...Array.from({ length: 300 }, (_, i) => generateApiKey(i % 2 ? 'rg_live' : 'rg_test')),
        ...ODD,
      ];
      for (const key of keys) {
        for (const scheme of reference.schemes) {
          const expected = await reference.hash(key, scheme);
          expect(await node.hash(key, scheme)).toBe(expected);
          expect(await runtimeDefault.hash(key, scheme)).toBe(expected);
        }
        const current = await reference.hash(key);
        expect(await node.hash(key)).toBe(current);
        expect(node.hashSync?.(key)).toBe(current);
        expect(runtimeDefault.hashSync?.(key)).toBe(current);
      }
    },
  );

  it('refuses what the default refuses: bad peppers at start-up, unknown schemes per call', async () => {
    const bad: ApiKeyHasherOptions[] = [
      { peppers: [{ id: 'short', secret: randomBytes(31) }] },
      { peppers: [{ id: 'bad id!', secret: randomBytes(32) }] },
      {
        peppers: [
          { id: 'dup', secret: randomBytes(32) },
          { id: 'dup', secret: randomBytes(32) },
        ],
      },
    ];
    for (const options of bad) {
      expect(() => createWebCryptoApiKeyHasher(options)).toThrow();
      expect(() => createNodeApiKeyHasher(options)).toThrow(
        (() => {
          try {
            createWebCryptoApiKeyHasher(options);
          } catch (err) {
            return (err as Error).message;
          }
          return 'unreachable';
        })(),
      );
    }
    const node = createNodeApiKeyHasher({ peppers: [{ id: 'p', secret: randomBytes(32) }] });
    await expect(node.hash('k', 'hmac-sha256:other')).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    await expect(createWebCryptoApiKeyHasher().hash('k', 'hmac-sha256:other')).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
  });
});
