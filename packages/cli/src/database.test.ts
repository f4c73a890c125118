import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, resolveDatabase } from './database.js';
import { UsageError } from './errors.js';

describe('resolveDatabase', () => {
  it('prefers --db over DATABASE_URL', () => {
    const target = resolveDatabase('sqlite:/a.db', { DATABASE_URL: 'sqlite:/b.db' }, '/');
    expect(target).toEqual({ kind: 'sqlite', path: '/a.db', display: 'sqlite:/a.db' });
  });

  it('falls back to DATABASE_URL, and refuses when neither is set', () => {
    expect(resolveDatabase(undefined, { DATABASE_URL: 'sqlite:keys.db' }, '/srv').display).toBe(
      'sqlite:/srv/keys.db',
    );
    expect(() => resolveDatabase(undefined, {}, '/')).toThrow(UsageError);
    expect(() => resolveDatabase(undefined, { DATABASE_URL: '  ' }, '/')).toThrow(/No database/);
  });
});

describe('parseDatabaseUrl', () => {
  it('accepts sqlite:PATH, sqlite:///ABS and relative paths', () => {
    expect(parseDatabaseUrl('sqlite:///var/keys.db', '--db', '/')).toMatchObject({ path: '/var/keys.db' });
    expect(parseDatabaseUrl('sqlite:data/keys.db', '--db', '/app')).toMatchObject({
      path: '/app/data/keys.db',
    });
  });

  it('accepts postgres:// and postgresql:// and never displays the password or query', () => {
    const target = parseDatabaseUrl('postgresql://app:pw@db.internal:5432/keys?password=pw2', '--db', '/');
    expect(target).toMatchObject({
      kind: 'postgres',
      url: 'postgresql://app:pw@db.internal:5432/keys?password=pw2',
    });
    expect(target.display).toBe('postgresql://app:***@db.internal:5432/keys');
    expect(parseDatabaseUrl('postgres://db/keys', '--db', '/').kind).toBe('postgres');
  });

  it('takes ?schema=NAME out of the connection string', () => {
    const target = parseDatabaseUrl('postgres://app:pw@db/keys?schema=tenant_a&sslmode=require', '--db', '/');
    expect(target).toMatchObject({ schema: 'tenant_a', url: 'postgres://app:pw@db/keys?sslmode=require' });
    expect(target.display).toBe('postgres://app:***@db/keys?schema=tenant_a');
    expect(() => parseDatabaseUrl('postgres://db/keys?schema=Bad-Name', '--db', '/')).toThrow(
      /schema must be/,
    );
  });

  it('refuses other schemes, in-memory SQLite and malformed URLs', () => {
    for (const bad of [
      'mysql://x/y',
      '/tmp/keys.db',
      'keys.db',
      'sqlite:',
      'sqlite::memory:',
      'postgres://[::1',
      'http://x',
    ]) {
      expect(() => parseDatabaseUrl(bad, '--db', '/'), bad).toThrow(UsageError);
    }
  });
});
