/**
 * The store-independent CLI suite, run against SQLite and PostgreSQL: the real binary creates,
 * lists, rotates and revokes keys; core's own verifier, reading the same database, proves each key
 * works while valid and is refused afterwards; and every refusal leaves the rows exactly as they were.
 */
import {
  API_KEY_SCAN_PATTERN,
  type ApiKeyStore,
  createApiKeyHasher,
  createApiKeyVerifier,
  hashApiKey,
  isRestguardError,
} from '@restguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { beforeAllOrFail, expectRefused, type RunResult, run } from './helpers.js';

/** What a store-specific test file provides. */
export interface RoundTripDatabase {
  /** The `--db` value. */
  url: string;
  /** Opens the same database directly (migrated), to inspect rows and verify keys. */
  open: () => Promise<ApiKeyStore>;
  /** Drops the database. */
  cleanup: () => Promise<void>;
}

const PEPPER = { id: 'p2025', secret: 'a-pepper-of-at-least-32-bytes-long-0123456789' };

/**
 * Registers the round-trip suite for one database kind.
 * @example
 * defineRoundTrip('SQLite', async () => ({ url, open, cleanup }));
 */
export function defineRoundTrip(label: string, setup: () => Promise<RoundTripDatabase>): void {
  describe(`keys create → list → rotate → revoke against ${label}`, () => {
    let database: RoundTripDatabase;
    let store: ApiKeyStore;
    const cli = (...args: string[]) => run([...args, '--db', database.url]);
    const rows = async () =>
      (await store.list({ includeRevoked: true })).sort((a, b) => a.id.localeCompare(b.id));

    /** The key's permissions as core's verifier sees them, or the error code it refuses with. */
    async function verify(key: string, options: { peppered?: boolean } = {}): Promise<string[] | string> {
      const verifier = createApiKeyVerifier({
        store,
        cache: false,
        ...(options.peppered ? { peppers: [PEPPER] } : {}),
      });
      try {
        return [...(await verifier.verify(key)).scopes].sort();
      } catch (err) {
        if (isRestguardError(err)) return err.code;
        throw err;
      } finally {
        await verifier.close();
      }
    }
    const created = (result: RunResult) => {
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown> & { id: string; key: string };
    };

    beforeAllOrFail(async () => {
      database = await setup();
      const first = await run([
        'keys',
        'create',
        '--db',
        database.url,
        '--name',
        'first',
        '--permissions',
        'read',
      ]);
      expect(first.code, first.stderr).toBe(0);
      store = await database.open();
    });
    afterAll(async () => {
      await store?.close();
      await database?.cleanup();
    });

    it('creates a key that verifies with its permissions, printed once in text mode', async () => {
      const result = await cli('keys', 'create', '--name', 'billing job', '--permissions', 'read,write');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      const keys = result.stdout.match(API_KEY_SCAN_PATTERN) ?? [];
      expect(keys).toHaveLength(1);
      expect(result.stdout.split('\n')).toContain(keys[0]);
      expect(result.stdout).toMatch(/cannot be shown again/);
      expect(await verify(keys[0]!)).toEqual(['read', 'write']);
    });

    it('prints exactly {"id","key","prefix","permissions","expiresAt"} with --json', async () => {
      const before = Date.now();
      const body = created(
        await cli(
          'keys',
          'create',
          '--name',
          'ci',
          '--permissions',
          'read,write,read',
          '--expires-in',
          '30d',
          '--json',
        ),
      );
      const after = Date.now();
      expect(Object.keys(body)).toEqual(['id', 'key', 'prefix', 'permissions', 'expiresAt']);
      expect(body.id).toMatch(/^key_[0-9A-Za-z]+$/);
      expect(body.key).toMatch(/^rg_live_[0-9A-Za-z]{49}$/);
      expect(body.key.startsWith(body.prefix as string)).toBe(true);
      expect(body.permissions).toEqual(['read', 'write']);
      const expires = Date.parse(body.expiresAt as string);
      expect(expires).toBeGreaterThanOrEqual(before + 30 * 86_400_000 - 1000);
      expect(expires).toBeLessThanOrEqual(after + 30 * 86_400_000 + 1000);
      expect(await verify(body.key)).toEqual(['read', 'write']);
      const noExpiry = created(
        await cli('keys', 'create', '--name', 'forever', '--permissions', 'read', '--json'),
      );
      expect(noExpiry.expiresAt).toBeNull();
    });

    it('stores only a hash, and list (text and --json) never prints a key or a hash', async () => {
      const body = created(
        await cli('keys', 'create', '--name', 'secretive', '--permissions', 'write', '--json'),
      );
      const all = await rows();
      const record = all.find((row) => row.id === body.id)!;
      expect(record.hash).toBe(await hashApiKey(body.key));
      expect(JSON.stringify(all)).not.toContain(body.key);
      for (const args of [
        ['keys', 'list'],
        ['keys', 'list', '--json'],
        ['keys', 'list', '--all', '--json'],
      ]) {
        const listed = await cli(...args);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).toContain(body.id);
        expect(listed.stdout.match(API_KEY_SCAN_PATTERN)).toBeNull();
        expect(listed.stdout).not.toContain(body.key.slice(12, 40));
        for (const row of all) expect(listed.stdout).not.toContain(row.hash);
        expect(listed.stdout).not.toMatch(/hash/i);
      }
      const views = JSON.parse((await cli('keys', 'list', '--json')).stdout) as Record<string, unknown>[];
      const view = views.find((v) => v.id === body.id)!;
      expect(view).toMatchObject({
        name: 'secretive',
        prefix: record.prefix,
        permissions: ['write'],
        status: 'active',
      });
    });

    it('uses DATABASE_URL when --db is absent', async () => {
      const result = await run(['keys', 'list', '--json'], { env: { DATABASE_URL: database.url } });
      expect(result.code, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as unknown[]).length).toBe((await store.list()).length);
    });

    it('rotates: new key with the same permissions, old key valid through the grace period, then refused', async () => {
      const old = created(
        await cli('keys', 'create', '--name', 'rotating', '--permissions', 'read,write', '--json'),
      );
      const before = Date.now();
      const next = created(await cli('keys', 'rotate', old.id, '--grace', '24h', '--json'));
      expect(Object.keys(next)).toEqual([
        'id',
        'key',
        'prefix',
        'permissions',
        'expiresAt',
        'rotatedFromId',
        'graceUntil',
      ]);
      expect(next).toMatchObject({ rotatedFromId: old.id, permissions: ['read', 'write'] });
      expect(Date.parse(next.graceUntil as string)).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
      expect(next.key).not.toBe(old.key);
      expect(await verify(next.key)).toEqual(['read', 'write']);
      expect(await verify(old.key)).toEqual(['read', 'write']);
      const oldRow = (await rows()).find((row) => row.id === old.id)!;
      expect(oldRow.rotatedToId).toBe(next.id);
      const listed = JSON.parse((await cli('keys', 'list', '--json')).stdout) as {
        id: string;
        status: string;
      }[];
      expect(listed.find((v) => v.id === old.id)?.status).toBe('rotating');

      const snapshot = await rows();
      expectRefused(await cli('keys', 'rotate', old.id), /already been rotated/);
      expect(await rows()).toEqual(snapshot);

      const third = created(await cli('keys', 'rotate', next.id, '--grace', '0s', '--json'));
      expect(await verify(next.key)).toBe('ERR_API_KEY_INVALID');
      expect(await verify(third.key)).toEqual(['read', 'write']);
    });

    it('revokes: the key is refused at once; revoking again is harmless; list hides it unless --all', async () => {
      const body = created(
        await cli('keys', 'create', '--name', 'doomed', '--permissions', 'read', '--json'),
      );
      expect(await verify(body.key)).toEqual(['read']);
      const revoked = await cli('keys', 'revoke', body.id, '--json');
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ id: body.id, alreadyRevoked: false });
      expect(await verify(body.key)).toBe('ERR_API_KEY_INVALID');
      const again = await cli('keys', 'revoke', body.id);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/already revoked/);
      expect((await cli('keys', 'list')).stdout).not.toContain(body.id);
      const all = JSON.parse((await cli('keys', 'list', '--all', '--json')).stdout) as {
        id: string;
        status: string;
      }[];
      expect(all.find((v) => v.id === body.id)?.status).toBe('revoked');
      expectRefused(await cli('keys', 'rotate', body.id), /revoked key cannot be rotated/);
    });

    it('manages rate limits: create --rate, list shows it, update changes or clears it; bad rates change nothing', async () => {
      const body = created(
        await cli(
          'keys',
          'create',
          '--name',
          'limited',
          '--permissions',
          'read',
          '--rate',
          '100/minute',
          '--json',
        ),
      );
      expect((await store.findById(body.id))!.rateLimit).toBe('100/min');
      const text = await cli('keys', 'list');
      const line = text.stdout.split('\n').find((l) => l.startsWith(body.id))!;
      expect(line).toMatch(/\s100\/min\s/);
      expect(text.stdout.split('\n')[0]).toMatch(/PERMISSIONS\s+RATE\s+STATUS/);
      const listed = JSON.parse((await cli('keys', 'list', '--json')).stdout) as {
        id: string;
        rateLimit: string | null;
      }[];
      expect(listed.find((view) => view.id === body.id)!.rateLimit).toBe('100/min');
      const updated = await cli('keys', 'update', body.id, '--rate', '10/s', '--json');
      expect(updated.code, updated.stderr).toBe(0);
      expect(JSON.parse(updated.stdout)).toEqual({
        id: body.id,
        name: 'limited',
        prefix: body.prefix,
        rateLimit: '10/s',
      });
      expect((await store.findById(body.id))!.rateLimit).toBe('10/s');
      const snapshot = await rows();
      expectRefused(await cli('keys', 'update', body.id, '--rate', 'lots'), /--rate: A rate is N\/unit/);
      expectRefused(await cli('keys', 'update', body.id), /--rate is required/);
      expectRefused(
        await cli('keys', 'update', 'key_doesNotExist', '--rate', '1/s'),
        /No API key has this id/,
      );
      expectRefused(
        await cli('keys', 'create', '--name', 'x', '--permissions', 'read', '--rate', '0/min'),
        /--rate: A rate is N\/unit/,
      );
      expect(await rows()).toEqual(snapshot);
      const cleared = await cli('keys', 'update', body.id, '--rate', 'none');
      expect(cleared.stdout).toBe(
        `Updated API key ${body.id} (${body.prefix}…): rate limit none (the app's default).\n`,
      );
      expect((await store.findById(body.id))!.rateLimit ?? null).toBeNull();
    });

    it('refuses an unknown id, bad input and a bad duration against a live database, changing nothing', async () => {
      const snapshot = await rows();
      expectRefused(await cli('keys', 'revoke', 'key_doesNotExist'), /No API key has this id/);
      expectRefused(await cli('keys', 'rotate', 'key_doesNotExist'), /No API key has this id/);
      expectRefused(
        await cli('keys', 'create', '--name', 'x', '--permissions', 'read,ADMIN'),
        /--permissions/,
      );
      expectRefused(
        await cli('keys', 'create', '--name', 'x', '--permissions', 'read', '--expires-in', '1y'),
        /--expires-in/,
      );
      expectRefused(
        await cli('keys', 'create', '--name', 'x', '--permissions', 'read', '--bogus'),
        /unknown option/,
      );
      expectRefused(await cli('keys', 'rotate', snapshot[0]!.id, '--grace', 'later'), /--grace/);
      expect(await rows()).toEqual(snapshot);
    });

    it('hashes with the application’s pepper from RESTGUARD_API_KEY_PEPPER', async () => {
      const result = await run(
        ['keys', 'create', '--db', database.url, '--name', 'peppered', '--permissions', 'read', '--json'],
        { env: { RESTGUARD_API_KEY_PEPPER: `${PEPPER.id}:${PEPPER.secret}` } },
      );
      const body = created(result);
      const record = (await rows()).find((row) => row.id === body.id)!;
      expect(record.hashScheme).toBe(`hmac-sha256:${PEPPER.id}`);
      expect(record.hash).toBe(await createApiKeyHasher({ peppers: [PEPPER] }).hash(body.key));
      expect(await verify(body.key, { peppered: true })).toEqual(['read']);
    });
  });
}
