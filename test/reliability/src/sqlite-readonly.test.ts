/**
 * Store faults on SQLite: the folder holding the demo's SQLite file is read-only. As root, chmod does not
 * stop writes, so the app runs in its own mount namespace (`unshare -m --propagation private`) with the
 * database folder bind-mounted onto itself and remounted read-only. That remount is refused (EBUSY) while
 * a running app holds the file open for writing, so the fault is set up before the app starts, on a
 * database made (and cleanly closed) by an earlier run. What the demo does then: it refuses to start with
 * one line on stderr and a non-zero exit code (SQLite cannot open a WAL database read-only once its
 * `-wal`/`-shm` files are gone), no stack trace and no credential in its output; once the folder is
 * writable again it starts on the same file and the key made before answers 200 (an unknown key 401).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { report, runCli, startApp, tempDir } from './processes.js';

const ready = /browser: https:\/\/\S+\//;

describe('store faults: SQLite file system read-only', () => {
  it('refuses to start on a read-only database folder with one line, and starts once it is writable', async () => {
    const dataDir = tempDir('sqlite-readonly');
    const dbDir = path.join(dataDir, 'db');
    await mkdir(dbDir);
    const env = {
      PORT: '0',
      RESTGUARD_DATA_DIR: dataDir,
      DATABASE_URL: `sqlite:${path.join(dbDir, 'keys.sqlite')}`,
    };

    // A first run creates the database; SIGTERM closes it cleanly.
    const first = await startApp('demo-express', env, ready);
    await first.stop();
    await first.exited;
    const created = await runCli(
      ['keys', 'create', '--name', 'made-before', '--permissions', 'read', '--json'],
      {
        DATABASE_URL: env.DATABASE_URL,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout) as { id: string; key: string };

    // The database folder is a read-only bind mount in the app's own mount namespace.
    const readOnly = startApp('demo-express', env, ready, 60_000, 'dist/main.js', [
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
      dbDir,
    ]);
    const refused = await readOnly.then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused, 'the demo started on a read-only database folder').not.toBeNull();
    // startApp's message is "<app> exited with <code>:\n<output>".
    const [head, ...lines] = refused!.split('\n');
    expect(head, `the fault was not set up (needs root and unshare):\n${refused}`).toMatch(
      /exited with [1-9]/,
    );
    const errorLines = lines.filter((line) => line.startsWith('restguard demo (express): could not start'));
    expect(errorLines).toEqual([
      // The cause's own one-line reason follows the message (SQLite's, never a credential).
      'restguard demo (express): could not start: The API-key store is unavailable. (unable to open database file)',
    ]);
    expect(refused).not.toMatch(/^\s+at /m);
    expect(refused).not.toContain(made.key);
    expect(refused).not.toMatch(/read-only file system.*mount|unshare:|mount:/i);

    // Writable again: the same file serves the key made before.
    const again = await startApp('demo-express', env, ready);
    try {
      const out = again.output();
      const base = /listening on (https:\/\/\S+)/.exec(out)![1]!;
      const dispatcher = new Agent({
        connect: { ca: readFileSync(/development CA: (\S+)/.exec(out)![1]!, 'utf8') },
      });
      const status = async (key: string) => {
        const res = await fetch(`${base}/api/notes`, { headers: { 'x-api-key': key }, dispatcher });
        await res.arrayBuffer();
        return res.status;
      };
      const unknownKey = `${made.key.slice(0, -4)}${made.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      expect(await status(made.key)).toBe(200);
      expect(await status(unknownKey)).toBe(401);
      await dispatcher.close();
    } finally {
      await again.stop();
    }
    report('store faults: SQLite file system read-only', {
      faultsInjected: 1,
      startRefusedWithOneLine: true,
      exitCode: Number(/exited with (\d+)/.exec(head!)![1]),
      startedAfterRecovery: true,
      madeBeforeKeyStatus: 200,
    });
  });
});
