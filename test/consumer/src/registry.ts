/**
 * A real local npm registry: Verdaccio 6.8 (6.10 needs Node 22) on a free loopback port, storage in a
 * temporary folder, `@restguard/*` served only from what the suite publishes, everything else proxied
 * to the machine's own npm registry (`npm config get registry`) so frameworks install through it.
 */

import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cleanEnv, freePort, run } from './run.js';

/** A running registry and a publish token for it. */
export interface LocalRegistry {
  readonly url: string;
  readonly token: string;
  /** The `.npmrc` lines a consumer (or the publisher) needs. */
  npmrc(): string;
  stop(): Promise<void>;
}

/**
 * Starts Verdaccio in `dir` and creates a user to publish with.
 * @example
 * const registry = await startRegistry('/tmp/registry');
 */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  await mkdir(join(dir, 'storage'), { recursive: true });
  const upstream = (await run('npm', ['config', 'get', 'registry'], { cwd: dir })).stdout.trim();
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      '    max_users: 10',
      'uplinks:',
      '  upstream:',
      `    url: ${JSON.stringify(upstream)}`,
      '    timeout: 60s',
      '    max_fails: 5',
      'packages:',
      "  '@restguard/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    proxy: upstream',
      'max_body_size: 100mb',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const bin = createRequire(import.meta.url).resolve('verdaccio/bin/verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  // Up to 60 s for start-up on a busy machine (bounded; no timing assertion).
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`Verdaccio exited ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (attempt >= 240) {
      await stop();
      throw new Error(`Verdaccio did not answer on ${url}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const answer = await fetch(`${url}-/user/org.couchdb.user:restguard-ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'restguard-ci',
      password: 'restguard-ci-password',
      type: 'user',
      roles: [],
    }),
  });
  const { token } = (await answer.json()) as { token?: string };
  if (!answer.ok || !token) {
    await stop();
    throw new Error(`Could not create a Verdaccio user (${answer.status}).`);
  }
  const hostPath = url.replace(/^http:/, '');
  return {
    url,
    token,
    npmrc: () => `registry=${url}\n${hostPath}:_authToken=${token}\n`,
    stop,
  };
}
