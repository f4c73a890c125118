import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS_FILE_NAME, loadOrCreateKeys } from '../src/index.js';
import { AUDIENCE, clientCredentials, createHarness, verifyJwt } from './harness.js';

describe('persistent keys', () => {
  const harness = createHarness();
  afterAll(() => harness.cleanup());

  it('keeps its signing keys across a restart: same kids, and earlier tokens still verify', async () => {
    const first = await harness.start({ port: 0 });
    const kidsBefore = (await harness.client.fetch(first.jwksUri))
      .json<{ keys: { kid: string }[] }>()
      .keys.map((k) => k.kid);
    const issued = await clientCredentials(harness.client, first.issuer, {
      scope: 'read',
      resource: AUDIENCE,
    });
    const token = issued.json<{ access_token: string }>().access_token;
    await first.close();

    const second = await harness.start({ port: first.port });
    expect(second.issuer).toBe(first.issuer);
    const kidsAfter = (await harness.client.fetch(second.jwksUri))
      .json<{ keys: { kid: string }[] }>()
      .keys.map((k) => k.kid);
    expect(kidsAfter).toEqual(kidsBefore);
    const { payload } = await verifyJwt(harness.client, second.issuer, token);
    expect(payload.sub).toBe('demo-machine');
  });

  it('stores them readable by the owner only', () => {
    const mode = statSync(path.join(harness.dir, 'data', KEYS_FILE_NAME)).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('gives two processes starting on one empty folder the same keys', async () => {
    const dir = path.join(harness.dir, 'race');
    const [a, b] = await Promise.all([loadOrCreateKeys(dir), loadOrCreateKeys(dir)]);
    expect(a.jwks.keys.map((key) => key.kid)).toEqual(b.jwks.keys.map((key) => key.kid));
    expect(a.cookieKeys).toEqual(b.cookieKeys);
    const again = await loadOrCreateKeys(dir);
    expect(again.jwks.keys.map((key) => key.kid)).toEqual(a.jwks.keys.map((key) => key.kid));
  });

  it('generates a different key set for a different data folder', async () => {
    const one = await loadOrCreateKeys(path.join(harness.dir, 'one'));
    const two = await loadOrCreateKeys(path.join(harness.dir, 'two'));
    expect(one.jwks.keys[0]?.kid).not.toBe(two.jwks.keys[0]?.kid);
  });
});
