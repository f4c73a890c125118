import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRestguardError } from '@restguard/core';
import {
  expectClaimOnceWhileItLives,
  expectOneRefreshOnTwoInstances,
  nowSeconds,
  revocableSession,
} from '@restguard/test-support/sessions';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteApiKeyStore } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restguard-sqlite-sessions-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const now = nowSeconds;
const session = revocableSession;

describe('SQLite session revocation list', () => {
  it('is shared by every store on the same file, by id, sid and sub', async () => {
    const path = join(dir, 'keys.db');
    const a = createSqliteApiKeyStore({ path });
    const b = createSqliteApiKeyStore({ path });
    const [one, two, other] = [session(), session(), session({ sub: 'carol' })];
    expect(await b.sessionRevocations().isRevoked(one)).toBe(false);
    await a.sessionRevocations().revoke({ id: one.id, at: now(), until: now() + 60 });
    await a.sessionRevocations().revoke({ sid: two.sid!, at: now(), until: now() + 60 });
    expect(await b.sessionRevocations().isRevoked(one)).toBe(true);
    expect(await b.sessionRevocations().isRevoked({ ...two, id: 'fresh' })).toBe(true);
    expect(await b.sessionRevocations().isRevoked(other)).toBe(false);
    await a.sessionRevocations().revoke({ sub: 'carol', at: now(), until: now() + 60 });
    expect(await b.sessionRevocations().isRevoked(other)).toBe(true);
    expect(await b.sessionRevocations().isRevoked({ ...other, createdAt: now() + 5 })).toBe(false);
    await a.close();
    await b.close();
  });

  it('forgets and deletes entries past their until', async () => {
    const path = join(dir, 'keys.db');
    const store = createSqliteApiKeyStore({ path });
    const old = session();
    await store.sessionRevocations().revoke({ id: old.id, at: now() - 100, until: now() - 1 });
    expect(await store.sessionRevocations().isRevoked(old)).toBe(false);
    await store.sessionRevocations().revoke({ id: 'purge', at: now(), until: now() + 60 });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT value FROM restguard_session_revocations').pluck().all()).toEqual(['purge']);
    db.close();
    await store.close();
  });

  it('rejects with ERR_UNAVAILABLE, never a pass, when the database cannot be opened', async () => {
    const store = createSqliteApiKeyStore({ path: join(dir, 'missing', 'keys.db') });
    const error = await store
      .sessionRevocations()
      .isRevoked(session())
      .catch((err: unknown) => err);
    expect(isRestguardError(error) && error.code).toBe('ERR_UNAVAILABLE');
    await store.close();
  });
});

describe('SQLite refresh claim', () => {
  it('lets one of two instances on one file refresh a session due on both at once; the session lives on (fails without the claim)', async () => {
    const path = join(dir, 'keys.db');
    const [a, b] = [createSqliteApiKeyStore({ path }), createSqliteApiKeyStore({ path })];
    try {
      await expectOneRefreshOnTwoInstances([a.sessionRevocations(), b.sessionRevocations()]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('claims a key once while it lives, and again once it has lapsed', async () => {
    const path = join(dir, 'keys.db');
    const [a, b] = [createSqliteApiKeyStore({ path }), createSqliteApiKeyStore({ path })];
    await expectClaimOnceWhileItLives(a.sessionRevocations(), b.sessionRevocations());
    await a.close();
    await b.close();
  });
});
