/**
 * `DATABASE_URL` handling for SQLite: `sqlite:PATH` (relative or absolute), `sqlite://PATH` (the two
 * slashes are dropped, so `sqlite:///var/lib/app/keys.db` is absolute) and `sqlite::memory:`.
 */
import { ConfigInvalidError } from '@restguard/core';

/**
 * True for a `sqlite:` URL.
 * @example
 * isSqliteUrl('sqlite:data/keys.db'); // true
 */
export function isSqliteUrl(url: string): boolean {
  return typeof url === 'string' && url.startsWith('sqlite:');
}

/**
 * The file path of a `sqlite:` URL; a plain path is returned unchanged. Throws
 * {@link ConfigInvalidError} for an empty path.
 * @example
 * sqlitePathFromUrl('sqlite:data/keys.db'); // 'data/keys.db'
 * sqlitePathFromUrl('sqlite:///var/lib/app/keys.db'); // '/var/lib/app/keys.db'
 */
export function sqlitePathFromUrl(url: string): string {
  let path = url;
  if (isSqliteUrl(url)) {
    path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
  }
  if (typeof path !== 'string' || path.length === 0)
    throw new ConfigInvalidError('A SQLite database path is required.');
  return path;
}
