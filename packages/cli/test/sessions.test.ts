/**
 * `restguard sessions end --sub SUBJECT` through the real binary: the user's sessions begun until now
 * are ended in the database's shared list (SQLite here; PostgreSQL shares the same store code), later
 * ones are not; bad input is one line and exit 2 with nothing written.
 */
import { join } from 'node:path';
import { createSqliteApiKeyStore } from '@restguard/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRefused, run, tempDir } from './helpers.js';

describe('restguard sessions end', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const path = join(tmp.dir, 'keys.db');
  const db = `sqlite:${path}`;

  it('ends every session of the user begun until now, and only those', async () => {
    const created = await run(['keys', 'create', '--db', db, '--name', 'setup', '--permissions', 'read']);
    expect(created.code, created.stderr).toBe(0);
    const now = Math.floor(Date.now() / 1000);
    const ended = await run(['sessions', 'end', '--db', db, '--sub', 'alice', '--json']);
    expect(ended.code, ended.stderr).toBe(0);
    const output = JSON.parse(ended.stdout) as { sub: string; endedAt: string; until: string };
    expect(output.sub).toBe('alice');
    expect(Date.parse(output.until) - Date.parse(output.endedAt)).toBe(8 * 3600 * 1000);
    const store = createSqliteApiKeyStore({ path, fileMustExist: true });
    const list = store.sessionRevocations();
    expect(await list.isRevoked({ id: 'a', sub: 'alice', createdAt: now - 60 })).toBe(true);
    expect(await list.isRevoked({ id: 'b', sub: 'alice', createdAt: now + 60 })).toBe(false);
    expect(await list.isRevoked({ id: 'c', sub: 'bob', createdAt: now - 60 })).toBe(false);
    await store.close();
  });

  it('refuses bad input with one line and exit code 2', async () => {
    expectRefused(await run(['sessions', 'end', '--db', db]), /--sub/);
    expectRefused(await run(['sessions', 'end', '--db', db, '--sub', 'alice', '--for', 'soon']), /--for/);
    expectRefused(await run(['sessions', 'stop', '--db', db, '--sub', 'alice']), /sessions/);
    expectRefused(
      await run(['sessions', 'end', '--db', `sqlite:${join(tmp.dir, 'missing.db')}`, '--sub', 'alice']),
      /no SQLite database/,
    );
  });
});
