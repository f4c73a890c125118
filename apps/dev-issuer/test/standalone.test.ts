import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClient } from './client.js';
import { MACHINE, verifyJwt } from './harness.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
// Built next to the package's node_modules, so the bundle resolves its dependencies like dist/main.js.
const outDir = path.join(appDir, 'node_modules', '.cache', 'dev-issuer-test-build');

interface Started {
  child: ChildProcess;
  lines: string[];
  issuer: string;
}

function startMain(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [path.join(outDir, 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const issuer = /^issuer: (\S+)$/.exec(line)?.[1];
        if (issuer) resolve({ child, lines, issuer });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${lines.join('\n')}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('standalone dev issuer (node dist/main.js)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dev-issuer-main-'));
  let started: Started;

  beforeAll(async () => {
    await build({
      entry: { main: path.join(appDir, 'src/main.ts') },
      outDir,
      format: ['esm'],
      target: 'node20',
      config: false,
      silent: true,
    });
    started = await startMain({
      PORT: '0',
      DEV_ISSUER_DATA_DIR: dataDir,
      AUTH_AUDIENCE: 'https://api.restguard.test',
    });
  });
  afterAll(() => {
    started?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the development-only notice and its issuer https://127.0.0.1:PORT', () => {
    expect(started.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(started.lines.filter((line) => line.includes('for development and tests only'))).toHaveLength(1);
  });

  it('serves HTTPS with a development certificate whose CA it wrote to its data folder', async () => {
    const client = new HttpsClient(readFileSync(path.join(dataDir, 'tls', 'dev-ca.crt'), 'utf8'));
    const metadata = (await client.fetch(`${started.issuer}/.well-known/openid-configuration`)).json();
    expect(metadata.issuer).toBe(started.issuer);

    const token = await client.fetch(`${started.issuer}/token`, {
      headers: { authorization: MACHINE },
      form: { grant_type: 'client_credentials', scope: 'read write', resource: 'https://api.restguard.test' },
    });
    const { payload } = await verifyJwt(
      client,
      started.issuer,
      token.json<{ access_token: string }>().access_token,
    );
    expect(payload).toMatchObject({ aud: 'https://api.restguard.test', scope: 'read write' });
  });

  it('stops cleanly on SIGTERM', async () => {
    started.child.kill('SIGTERM');
    expect(await exitCode(started.child)).toBe(0);
  });

  it('refuses half a certificate configuration with one line and exit code 1', async () => {
    const child = spawn(process.execPath, [path.join(outDir, 'main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        DEV_ISSUER_DATA_DIR: dataDir,
        TLS_CERT_FILE: '/nonexistent.pem',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    expect(await exitCode(child)).toBe(1);
    expect(
      stderr
        .trim()
        .split('\n')
        .filter((line) => !line.includes('oidc-provider WARNING')),
    ).toEqual(['dev issuer: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither']);
  });
});
