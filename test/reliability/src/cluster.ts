/**
 * A private PostgreSQL cluster for the store-fault scenario (never the shared one): initdb into a
 * temporary folder, started on a free port, stopped with `pg_ctl stop -m immediate` (a crash, as far
 * as clients can tell) and started again on the same port.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

function pgBin(): string {
  if (process.env.PG_BIN && existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(path.join(bin, 'initdb'))) return bin;
  }
  throw new Error('PostgreSQL server binaries not found (install the postgresql package or set PG_BIN)');
}

/** A running private cluster. */
export interface Cluster {
  url: string;
  /** `pg_ctl stop -m immediate`. */
  crash(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Starts a cluster; `settings` are extra `-c name=value` server settings. */
export async function startCluster(settings: string[] = []): Promise<Cluster> {
  const bin = pgBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'restguard-rel-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (cmd: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args])
      : run(path.join(bin, cmd), args);
  const port = await freePort();
  const data = path.join(dir, 'data');
  await as('initdb', ['-A', 'trust', '-U', 'postgres', '-D', data]);
  const start = async () => {
    await as('pg_ctl', [
      '-w',
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-o',
      [
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
        ...settings.map((x) => `-c ${x}`),
      ].join(' '),
      'start',
    ]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    crash: async () => {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    },
    start,
    destroy: async () => {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
