/**
 * Which database the CLI talks to: `--db URL`, else `DATABASE_URL`. Two schemes, as in DESIGN.md:
 * `sqlite:PATH` (a file; `sqlite:///abs/path.db` is accepted too) and `postgres://…` or
 * `postgresql://…`, with an optional `?schema=NAME` for the schema holding restguard's tables (the
 * store's default, `restguard`, otherwise). Everything is checked here, before any connection is
 * opened or file created.
 */
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from './errors.js';

/**
 * A validated database target. `display` is safe to print: it never contains a password.
 * @example
 * const target: DatabaseTarget = resolveDatabase(flag, process.env, process.cwd());
 * console.log(target.display);
 */
export type DatabaseTarget =
  | { readonly kind: 'sqlite'; readonly path: string; readonly display: string }
  | {
      readonly kind: 'postgres';
      /** The connection string handed to `pg` (without the `schema` parameter). */
      readonly url: string;
      /** The schema holding restguard's tables, from `?schema=NAME`; the store's default otherwise. */
      readonly schema?: string;
      readonly display: string;
    };

/**
 * Picks `--db` over `DATABASE_URL` and validates it.
 * Throws {@link UsageError} when neither is set, the scheme is not `sqlite:`, `postgres:` or
 * `postgresql:`, or the URL is malformed.
 * @example
 * resolveDatabase(undefined, { DATABASE_URL: 'sqlite:./keys.db' }, '/srv');
 * // { kind: 'sqlite', path: '/srv/keys.db', display: 'sqlite:/srv/keys.db' }
 */
export function resolveDatabase(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): DatabaseTarget {
  const fromEnv = env.DATABASE_URL?.trim() ? env.DATABASE_URL.trim() : undefined;
  const raw = flag ?? fromEnv;
  const source = flag !== undefined ? '--db' : 'DATABASE_URL';
  if (raw === undefined) {
    throw new UsageError('No database: pass --db sqlite:PATH or --db postgres://…, or set DATABASE_URL.');
  }
  return parseDatabaseUrl(raw, source, cwd);
}

/**
 * Validates one database URL. `source` names where it came from in the error line.
 * @example
 * parseDatabaseUrl('postgres://app:secret@db:5432/keys', '--db', '/').display;
 * // 'postgres://app:***@db:5432/keys'
 */
export function parseDatabaseUrl(raw: string, source: string, cwd: string): DatabaseTarget {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    let path = raw.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '' || path === ':memory:' || path.startsWith('?')) {
      throw new UsageError(
        `${source} must name a SQLite file (sqlite:PATH); an in-memory database keeps nothing.`,
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters on purpose
    if (/[\u0000-\u001f]/.test(path)) throw new UsageError(`${source} has control characters in its path.`);
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    return { kind: 'sqlite', path: absolute, display: `sqlite:${absolute}` };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`${source} is not a valid PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE).`);
    }
    if (!url.hostname && !url.searchParams.has('host')) {
      throw new UsageError(`${source} is not a valid PostgreSQL URL: it names no host.`);
    }
    const schema = url.searchParams.get('schema') ?? undefined;
    if (schema === undefined) return { kind: 'postgres', url: raw, display: redactUrl(url) };
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new UsageError(`${source}: schema must be lowercase letters, digits and "_" (at most 63).`);
    }
    url.searchParams.delete('schema');
    return { kind: 'postgres', url: url.href, schema, display: `${redactUrl(url)}?schema=${schema}` };
  }
  const shown = scheme ? `"${scheme}:"` : 'none';
  throw new UsageError(
    `${source} has an unsupported scheme (${shown}); use sqlite:PATH, postgres://… or postgresql://….`,
  );
}

/** The URL without its password and query string (which may carry `password=` or `sslkey=`). */
function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  copy.search = '';
  copy.hash = '';
  return copy.href;
}
