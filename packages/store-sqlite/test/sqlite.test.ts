import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ApiKeyStoreChange,
  createApiKey,
  createApiKeyVerifier,
  isRestguardError,
} from '@restguard/core';
import { makeRecord } from '@restguard/store-conformance';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteApiKeyStore, migrateSqlite, sqlitePathFromUrl } from '../src/index.js';
import { SQLITE_MIGRATIONS } from '../src/migrations.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restguard-sqlite-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const code = (err: unknown) => (isRestguardError(err) ? err.code : err);

describe('SQLite store specifics', () => {
  it('uses WAL, records its migrations and looks keys up through the hash index', async () => {
    const path = join(dir, 'keys.db');
    const store = createSqliteApiKeyStore({ path: `sqlite:${path}` });
    await store.migrate();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = db
      .prepare('SELECT version FROM restguard_schema_migrations ORDER BY version')
      .pluck()
      .all();
    expect(versions).toEqual([1, 2, 3, 4, 5, 8]);
    expect(migrateSqlite(db)).toEqual([]);
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM restguard_api_keys WHERE hash = ?').all('x');
    expect(JSON.stringify(plan)).toContain('restguard_api_keys_hash');
    db.close();
    await store.close();
  });

  it('leaves a database it did not migrate in its own journal mode', async () => {
    const path = join(dir, 'foreign.db');
    const foreign = new Database(path);
    foreign.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY)');
    expect(foreign.pragma('journal_mode', { simple: true })).toBe('delete');
    foreign.close();
    const store = createSqliteApiKeyStore({
      path: `sqlite:${path}`,
      autoMigrate: false,
      fileMustExist: true,
    });
    await expect(store.list()).rejects.toThrow();
    await store.close();
    const reopened = new Database(path);
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('delete');
    reopened.close();
  });

  it('answers UnavailableError for a database it cannot open', async () => {
    const missingFolder = createSqliteApiKeyStore({ path: join(dir, 'no-such-folder', 'keys.db') });
    expect(code(await missingFolder.findByHash('x').catch((e: unknown) => e))).toBe('ERR_UNAVAILABLE');
    const mustExist = createSqliteApiKeyStore({ path: join(dir, 'absent.db'), fileMustExist: true });
    expect(code(await mustExist.list().catch((e: unknown) => e))).toBe('ERR_UNAVAILABLE');
    const { key } = await createApiKey(createSqliteApiKeyStore({ path: join(dir, 'ok.db') }), {
      name: 'k',
      permissions: ['read'],
    });
    const verifier = createApiKeyVerifier({ store: missingFolder });
    expect(code(await verifier.verify(key).catch((e: unknown) => e))).toBe('ERR_UNAVAILABLE');
    await verifier.close();
  });

  it('pushes a revocation made by any tool (a plain SQL UPDATE from another connection)', async () => {
    const path = join(dir, 'keys.db');
    const store = createSqliteApiKeyStore({ path, pollIntervalMs: 50 });
    const { record } = await makeRecord();
    await store.insert(record);
    const seen: ApiKeyStoreChange[] = [];
    const stop = store.subscribe((change) => seen.push(change));
    const other = new Database(path);
    other.prepare('UPDATE restguard_api_keys SET revoked_at = ? WHERE id = ?').run(Date.now(), record.id);
    other.close();
    await vi.waitFor(() => expect(seen).toContainEqual({ id: record.id, hash: record.hash }));
    stop();
    await store.close();
  });

  it('tells subscribers to drop everything when the change log was pruned under them', async () => {
    const path = join(dir, 'keys.db');
    const store = createSqliteApiKeyStore({ path, pollIntervalMs: 50 });
    await store.migrate();
    const seen: ApiKeyStoreChange[] = [];
    const stop = store.subscribe((change) => seen.push(change));
    const other = new Database(path);
    const { record } = await makeRecord();
    other
      .prepare(
        "INSERT INTO restguard_api_key_changes (key_id, hash, changed_at) VALUES (?, NULL, 0), ('x', NULL, 0)",
      )
      .run(record.id);
    other.prepare('DELETE FROM restguard_api_key_changes WHERE key_id = ?').run(record.id);
    other.close();
    await vi.waitFor(() => expect(seen).toContainEqual({ id: '*', reset: true }));
    stop();
    await store.close();
  });

  it('lets several processes migrate an empty file and write to it at the same time', async () => {
    const path = join(dir, 'shared.db');
    const script = `
      import { createApiKey } from '@restguard/core';
      import { createSqliteApiKeyStore } from './dist/index.js';
      const store = createSqliteApiKeyStore({ path: process.env.DB_PATH });
      for (let i = 0; i < 40; i++) await createApiKey(store, { name: 'p' + i, permissions: ['read'] });
      await store.close();`;
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const codes = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
              cwd,
              env: { ...process.env, DB_PATH: path },
              stdio: 'ignore',
            });
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0]);
    const store = createSqliteApiKeyStore({ path });
    expect(await store.list()).toHaveLength(120);
    await store.close();
    const db = new Database(path);
    expect(db.prepare('SELECT count(*) FROM restguard_schema_migrations').pluck().get()).toBe(
      SQLITE_MIGRATIONS.length,
    );
    db.close();
  });

  it('keeps the request path short while another process holds the write lock (fails without requestBusyTimeoutMs)', async () => {
    const path = join(dir, 'locked.db');
    const store = createSqliteApiKeyStore({ path });
    const { record } = await makeRecord();
    await store.insert(record);
    // Another process: BEGIN EXCLUSIVE, then COMMIT 300 ms after it reads a line on stdin.
    const locker = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import Database from 'better-sqlite3';
         const db = new Database(process.env.DB_PATH);
         db.exec('BEGIN EXCLUSIVE');
         console.log('locked');
         process.stdin.once('data', () => setTimeout(() => { db.exec('COMMIT'); db.close(); process.exit(0); }, 300));`,
      ],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, DB_PATH: path },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => locker.once('exit', resolve));
    await new Promise<void>((resolve) => locker.stdout!.once('data', () => resolve()));
    try {
      // Reads go on (WAL): a lookup is answered.
      expect((await store.findByHash(record.hash))?.id).toBe(record.id);
      // Writes on the request path give up quickly with UnavailableError (503) instead of blocking
      // the event loop for the management timeout (5 s).
      const started = performance.now();
      const touched = await store.touch([{ id: record.id, lastUsedAt: new Date() }]).catch(code);
      const revoked = await store
        .sessionRevocations()
        .revoke({ id: 's1', sub: 'u', at: 1, until: Math.floor(Date.now() / 1000) + 60 })
        .catch(code);
      const blockedMs = performance.now() - started;
      expect([touched, revoked]).toEqual(['ERR_UNAVAILABLE', 'ERR_UNAVAILABLE']);
      expect(blockedMs).toBeLessThan(1000);
      // A management write waits for the lock (released 300 ms later).
      locker.stdin!.write('release\n');
      const next = await makeRecord();
      await store.insert(next.record);
      expect((await store.findById(next.record.id))?.id).toBe(next.record.id);
      await store.touch([{ id: record.id, lastUsedAt: new Date() }]);
    } finally {
      locker.kill();
      await exited;
      await store.close();
    }
  });

  it('reads sqlite: URLs', () => {
    expect(sqlitePathFromUrl('sqlite:data/keys.db')).toBe('data/keys.db');
    expect(sqlitePathFromUrl('sqlite:///var/lib/keys.db')).toBe('/var/lib/keys.db');
    expect(sqlitePathFromUrl('/plain/path.db')).toBe('/plain/path.db');
    expect(() => sqlitePathFromUrl('sqlite:')).toThrow();
  });
});
