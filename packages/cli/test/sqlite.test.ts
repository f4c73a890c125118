/**
 * The CLI against SQLite: the round trip in a fresh temporary file, plus the proof that a `sqlite:`
 * run never loads the PostgreSQL driver.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createSqliteApiKeyStore } from '@restguard/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRefused, run, TRACER, tempDir } from './helpers.js';
import { defineRoundTrip } from './round-trip.js';

defineRoundTrip('SQLite', async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'keys.db');
  return {
    url: `sqlite:${path}`,
    open: async () => {
      const store = createSqliteApiKeyStore({ path, fileMustExist: true });
      await store.migrate();
      return store;
    },
    cleanup: async () => tmp.remove(),
  };
});

describe('SQLite specifics', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('loads better-sqlite3 but never pg for a sqlite: database', async () => {
    const trace = join(tmp.dir, 'imports.txt');
    const db = `sqlite:${join(tmp.dir, 'lazy.db')}`;
    const result = await run(['keys', 'create', '--db', db, '--name', 'lazy', '--permissions', 'read'], {
      nodeArgs: ['--import', TRACER],
      env: { TRACE_IMPORTS_FILE: trace },
    });
    expect(result.code, result.stderr).toBe(0);
    const urls = readFileSync(trace, 'utf8');
    expect(urls).toMatch(/better-sqlite3/);
    expect(urls).toMatch(/store-sqlite/);
    expect(urls).not.toMatch(/\/node_modules\/(\.pnpm\/)?pg[@/]/);
    expect(urls).not.toMatch(/store-postgres/);
  });

  it('resolves a relative sqlite: path against the working directory', async () => {
    const result = await run(
      ['keys', 'create', '--db', 'sqlite:relative.db', '--name', 'x', '--permissions', 'read'],
      {
        cwd: tmp.dir,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(tmp.dir, 'relative.db'))).toBe(true);
    expect(result.stdout).toContain(`sqlite:${join(tmp.dir, 'relative.db')}`);
  });

  it('never turns an empty file or a foreign SQLite database into a restguard one (list, revoke, rotate)', async () => {
    const empty = join(tmp.dir, 'empty.db');
    writeFileSync(empty, '');
    expectRefused(await run(['keys', 'list', '--db', `sqlite:${empty}`]), /is not a SQLite database/);
    expect(statSync(empty).size).toBe(0);

    // Somebody else's database (rollback journal, one table of its own), made with the driver the
    // store uses (resolved from the store: the CLI itself does not depend on it).
    const foreign = join(tmp.dir, 'foreign.db');
    const storeEntry = createRequire(import.meta.url).resolve('@restguard/store-sqlite');
    const Database = createRequire(storeEntry)('better-sqlite3') as new (
      path: string,
    ) => { exec(sql: string): void; close(): void };
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    db.close();
    const before = readFileSync(foreign);
    for (const args of [
      ['keys', 'list'],
      ['keys', 'revoke', 'key_abc'],
      ['keys', 'rotate', 'key_abc'],
    ]) {
      expectRefused(await run([...args, '--db', `sqlite:${foreign}`]), /has no restguard API-key tables/);
    }
    expect(readFileSync(foreign).equals(before)).toBe(true);
  });

  it('refuses a file that is not a SQLite database, and leaves it untouched', async () => {
    const path = join(tmp.dir, 'notes.txt');
    writeFileSync(path, 'just some text, not a database\n'.repeat(200));
    const before = readFileSync(path);
    const result = await run([
      'keys',
      'create',
      '--db',
      `sqlite:${path}`,
      '--name',
      'x',
      '--permissions',
      'read',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^restguard: cannot use the database sqlite:.*\(SQLITE_NOTADB\)\.\n$/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
