/**
 * Opening the API-key store behind a {@link DatabaseTarget}, lazily: `sqlite:` loads only
 * `@restguard/store-sqlite` (better-sqlite3), `postgres:` only `@restguard/store-postgres` (pg).
 * Every failure becomes a one-line {@link UsageError} (exit 2) that names the database without its
 * password; a driver's own message is never printed, only its error code.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiKeyManagementError, type ApiKeyStore, isRestguardError } from '@restguard/core';
import type { DatabaseTarget } from './database.js';
import { errorCode, UsageError } from './errors.js';

/** How long one command may wait on the database before giving up (connect, query, close). */
export const DATABASE_TIMEOUT_MS = 15_000;

/** The command about to use the store; only `create` may create a database or its tables. */
export type StoreUse = 'create' | 'list' | 'revoke' | 'rotate' | 'update';

/**
 * Opens the store, runs `work` against it, and closes it, within {@link DATABASE_TIMEOUT_MS}.
 * Only `create` creates anything: the SQLite file, and the tables (the stores' versioned, idempotent
 * migrations). `list`, `revoke` and `rotate` never migrate and need an existing SQLite file, so a
 * mistyped path or the wrong database is refused ("no restguard API-key tables") and left unchanged.
 * @example
 * const keys = await withStore(target, 'list', (store) => listApiKeys(store));
 */
export function withStore<T>(
  target: DatabaseTarget,
  use: StoreUse,
  work: (store: ApiKeyStore) => Promise<T>,
): Promise<T> {
  return withOpened(
    target,
    use,
    () => openStore(target, use),
    async (store) => {
      if (use === 'create') await store.migrate();
      return work(store);
    },
  );
}

/**
 * The open → work → close frame every store command runs in: the SQLite path checked for `use`,
 * everything within {@link DATABASE_TIMEOUT_MS}, failures as one-line {@link UsageError}s, the store
 * closed whatever happened.
 * @example
 * const rules = await withOpened(target, 'list', () => openRules(target), (store) => store.list());
 */
export async function withOpened<S extends { close(): Promise<void> }, T>(
  target: DatabaseTarget,
  use: StoreUse,
  open: () => Promise<S>,
  work: (store: S) => Promise<T>,
): Promise<T> {
  if (target.kind === 'sqlite') checkSqlitePath(target.path, use);
  let store: S | undefined;
  try {
    return await deadline(
      (async () => {
        store = await open();
        return work(store);
      })(),
      target,
    );
  } catch (err) {
    throw explain(err, target);
  } finally {
    if (store) await deadline(store.close(), target).catch(() => undefined);
  }
}

/** Refuses a SQLite path that `use` may not open (see {@link withStore}). */
export function checkSqlitePath(path: string, use: StoreUse): void {
  if (existsSync(path)) {
    if (!statSync(path).isFile()) throw new UsageError(`sqlite:${path} is not a file.`);
    // Opening a file turns it into a database (WAL header): only `create` may do that to an empty file.
    if (use !== 'create' && !hasSqliteHeader(path)) {
      throw new UsageError(`sqlite:${path} is not a SQLite database.`);
    }
    return;
  }
  if (use !== 'create') {
    throw new UsageError(`there is no SQLite database at ${path} (keys create makes one).`);
  }
  const directory = dirname(path);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new UsageError(`the directory ${directory} for the SQLite database does not exist.`);
  }
}

/** True when the file starts with SQLite's 16-byte magic header ("SQLite format 3\0"). */
function hasSqliteHeader(path: string): boolean {
  const header = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, header, 0, 16, 0) === 16 && header.toString('latin1') === 'SQLite format 3\u0000';
  } finally {
    closeSync(fd);
  }
}

/**
 * The SQLite store options for `target`: only `create` may create the file or its tables.
 * @example
 * createSqliteApiKeyStore(sqliteStoreOptions(target, 'list'));
 */
export function sqliteStoreOptions(
  target: Extract<DatabaseTarget, { kind: 'sqlite' }>,
  use: StoreUse,
): { path: string; fileMustExist: boolean; autoMigrate: boolean } {
  return { path: target.path, fileMustExist: use !== 'create', autoMigrate: use === 'create' };
}

/**
 * The PostgreSQL store options for `target`: only `create` may create its tables.
 * @example
 * createPostgresApiKeyStore(postgresStoreOptions(target, 'list'));
 */
export function postgresStoreOptions(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  use: StoreUse,
): { connectionString: string; schema?: string; autoMigrate: boolean } {
  return {
    connectionString: target.url,
    ...(target.schema ? { schema: target.schema } : {}),
    autoMigrate: use === 'create',
  };
}

async function openStore(target: DatabaseTarget, use: StoreUse): Promise<ApiKeyStore> {
  if (target.kind === 'sqlite') {
    const { createSqliteApiKeyStore } = await import('@restguard/store-sqlite');
    return createSqliteApiKeyStore(sqliteStoreOptions(target, use));
  }
  const { createPostgresApiKeyStore } = await import('@restguard/store-postgres');
  return createPostgresApiKeyStore({ ...postgresStoreOptions(target, use), maxConnections: 2 });
}

/** True when the failure is a missing table or schema (a database restguard never migrated). */
function missingTables(err: unknown): boolean {
  for (let current = err, depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (code === '42P01' || code === '3F000') return true;
    if (code === 'SQLITE_ERROR' && typeof message === 'string' && message.startsWith('no such table'))
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Rejects with a one-line UsageError when `work` takes longer than {@link DATABASE_TIMEOUT_MS}. */
export function deadline<T>(work: Promise<T>, target: DatabaseTarget): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UsageError(
            `the database ${target.display} did not answer within ${DATABASE_TIMEOUT_MS / 1000} s.`,
          ),
        ),
      DATABASE_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Turns any failure into one printable line. */
export function explain(err: unknown, target: DatabaseTarget): UsageError {
  if (err instanceof UsageError) return err;
  if (err instanceof ApiKeyManagementError) return new UsageError(err.message);
  if (missingTables(err)) {
    return new UsageError(
      `the database ${target.display} has no restguard API-key tables (keys create makes them).`,
    );
  }
  const code = errorCode(err);
  const suffix = code ? ` (${code})` : '';
  if (isRestguardError(err) && err.code === 'ERR_CONFIG_INVALID') {
    return new UsageError(`${err.message}`);
  }
  return new UsageError(`cannot use the database ${target.display}${suffix}.`);
}
