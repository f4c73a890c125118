/**
 * Help, version, and every kind of bad input, through the real binary: each refusal is exactly one
 * line on stderr with exit code 2, and nothing is written (no SQLite file appears).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectRefused, run, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const file = join(tmp.dir, 'keys.db');
const db = `sqlite:${file}`;
const create = (...extra: string[]) => [
  'keys',
  'create',
  '--db',
  db,
  '--name',
  'ci',
  '--permissions',
  'read',
  ...extra,
];

/** Runs, expects a refusal, and checks that the temp directory is still empty. */
async function refused(args: string[], message?: RegExp, env?: Record<string, string>) {
  const result = await run(args, env ? { env } : {});
  expectRefused(result, message);
  expect(readdirSync(tmp.dir)).toEqual([]);
  return result;
}

describe('help and version', () => {
  it('prints the overview for --help, -h and help, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^Usage: restguard/);
      for (const command of ['keys create', 'keys list', 'keys revoke', 'keys rotate', 'DATABASE_URL']) {
        expect(result.stdout).toContain(command);
      }
    }
  });

  it('prints one command’s options for `keys create --help` and `help keys rotate`', async () => {
    const createHelp = await run(['keys', 'create', '--help']);
    expect(createHelp.code).toBe(0);
    expect(createHelp.stdout).toContain('--permissions LIST');
    expect(createHelp.stdout).toContain('--expires-in DURATION');
    const rotateHelp = await run(['help', 'keys', 'rotate']);
    expect(rotateHelp.code).toBe(0);
    expect(rotateHelp.stdout).toContain('--grace DURATION');
  });

  it('prints the package version for --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const result = await run(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('bad commands and flags', () => {
  it('refuses no command, an unknown command and an unknown keys command', async () => {
    await refused([], /missing command/);
    await refused(['frobnicate'], /unknown command "frobnicate"/);
    await refused(['keys'], /missing command/);
    await refused(['keys', 'destroy', '--db', db], /unknown command "destroy"/);
    await refused(['help', 'keys', 'destroy'], /unknown command/);
  });

  it('refuses unknown flags, flags without a value, repeated flags and stray arguments', async () => {
    await refused([...create(), '--colour'], /unknown option --colour/);
    await refused(['keys', 'list', '--db', db, '-x'], /unknown option -x/);
    await refused(['keys', 'create', '--db', db, '--permissions', 'read', '--name'], /--name needs a value/);
    await refused(['keys', 'create', '--db', db, '--name', '--permissions', 'read'], /--name needs a value/);
    await refused([...create(), '--json=yes'], /--json does not take a value/);
    await refused([...create(), '--name', 'other'], /--name was given more than once/);
    await refused([...create(), 'extra'], /unexpected argument "extra"/);
    await refused(['keys', 'list', '--db', db, 'key_1'], /unexpected argument/);
  });

  it('refuses missing required flags and a missing ID', async () => {
    await refused(['keys', 'create', '--db', db, '--permissions', 'read'], /--name is required/);
    await refused(['keys', 'create', '--db', db, '--name', 'ci'], /--permissions is required/);
    await refused(['keys', 'revoke', '--db', db], /ID is required/);
    await refused(['keys', 'rotate', '--db', db], /ID is required/);
  });
});

describe('bad values', () => {
  it('refuses permissions outside the syntax, and creates no database file', async () => {
    const checks: Promise<unknown>[] = [];
    for (const permissions of [
      'read write',
      'read,,write',
      'read,',
      'Read',
      '*',
      'read;drop',
      'notes:*',
      '"read"',
      '',
    ]) {
      checks.push(
        refused(
          ['keys', 'create', '--db', db, '--name', 'ci', '--permissions', permissions],
          /--permissions/,
        ),
      );
    }
    await Promise.all(checks);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses bad durations for --expires-in and --grace', async () => {
    const checks: Promise<unknown>[] = [];
    for (const duration of [
      '30',
      '30x',
      '-5d',
      '0d',
      '1.5h',
      '1d12h',
      ' 30d',
      '30 d',
      '36501d',
      '9999999999d',
    ]) {
      checks.push(refused(create('--expires-in', duration), /--expires-in/));
    }
    for (const grace of ['soon', '-1h', '366d', '24']) {
      checks.push(refused(['keys', 'rotate', 'key_abc', '--db', db, '--grace', grace], /--grace/));
    }
    await Promise.all(checks);
  });

  it('refuses bad names, subjects and metadata', async () => {
    await refused(['keys', 'create', '--db', db, '--name', '   ', '--permissions', 'read'], /--name/);
    await refused(['keys', 'create', '--db', db, '--name', 'a\u001b[2Jb', '--permissions', 'read'], /--name/);
    await refused(
      ['keys', 'create', '--db', db, '--name', 'x'.repeat(201), '--permissions', 'read'],
      /--name/,
    );
    await refused(create('--subject', 'a\nb'), /--subject/);
    await refused(create('--metadata', '[1,2]'), /--metadata: Key metadata must be a JSON object/);
    await refused(create('--metadata', '{nope'), /--metadata must be a JSON object/);
    await refused(create('--prefix', 'RG-Live'), /--prefix must be lowercase/);
  });

  it('refuses an ID that is an API key without printing it back', async () => {
    const key = `rg_live_${'A'.repeat(43)}abcdef`;
    const result = await refused(['keys', 'revoke', key, '--db', db], /that is an API key, not a key id/);
    expect(result.stderr).not.toContain('AAAAAAAAAA');
    await refused(['keys', 'rotate', 'key with spaces', '--db', db], /ID must be a key id/);
  });

  it('refuses a malformed pepper without printing any of it', async () => {
    const pepper = 'short-secret-value';
    const result = await refused(create(), /RESTGUARD_API_KEY_PEPPER must be ID:SECRET/, {
      RESTGUARD_API_KEY_PEPPER: `p1:${pepper}`,
    });
    expect(result.stderr).not.toContain(pepper);
  });
});

describe('bad databases', () => {
  it('refuses a missing --db without DATABASE_URL', async () => {
    await refused(['keys', 'list'], /No database: pass --db/);
    await refused(['keys', 'create', '--name', 'ci', '--permissions', 'read'], /No database/);
  });

  it('refuses unsupported schemes and malformed URLs', async () => {
    const checks: Promise<unknown>[] = [];
    for (const url of [
      'mysql://root@127.0.0.1/keys',
      'file:/tmp/keys.db',
      join(tmp.dir, 'keys.db'),
      'http://x',
    ]) {
      checks.push(refused(['keys', 'list', '--db', url], /unsupported scheme/));
    }
    await Promise.all(checks);
    await refused(['keys', 'list', '--db', 'sqlite:'], /must name a SQLite file/);
    await refused(['keys', 'list', '--db', 'sqlite::memory:'], /must name a SQLite file/);
    await refused(['keys', 'list', '--db', 'postgres://[::1'], /not a valid PostgreSQL URL/);
    await refused(['keys', 'list'], /unsupported scheme/, { DATABASE_URL: 'redis://127.0.0.1:6379' });
  });

  it('refuses a SQLite path that does not exist (list, revoke, rotate) or whose directory is missing (create)', async () => {
    await refused(['keys', 'list', '--db', db], /there is no SQLite database/);
    await refused(['keys', 'revoke', 'key_abc', '--db', db], /there is no SQLite database/);
    await refused(
      [
        'keys',
        'create',
        '--db',
        `sqlite:${join(tmp.dir, 'missing', 'keys.db')}`,
        '--name',
        'x',
        '--permissions',
        'read',
      ],
      /does not exist/,
    );
    await refused(['keys', 'list', '--db', `sqlite:${tmp.dir}`], /is not a file/);
  });

  it('refuses an unreachable PostgreSQL server, without printing its password', async () => {
    const result = await refused(
      [
        'keys',
        'create',
        '--db',
        'postgres://app:s3cr3t-pw@127.0.0.1:1/keys',
        '--name',
        'ci',
        '--permissions',
        'read',
      ],
      /cannot use the database postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/keys \(ECONNREFUSED\)/,
    );
    expect(result.stderr).not.toContain('s3cr3t-pw');
  });
});
