/**
 * `runDemo` as a program (a real child process on the built kit): a SIGTERM as soon as the ready line
 * is out drains and exits 0, and a start-up refusal of the key store says why without a credential.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dirs: string[] = [];

/** Runs the fixture demo until it exits (at most 60 s), with `env` over a fresh data folder. */
function runFixture(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
    throw new Error('apps/demo-kit/dist is missing: build the kit first (turbo run build).');
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'restguard-kit-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, [...nodeArgs, path.join(fixtures, 'demo-main.mjs')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      RESTGUARD_DATA_DIR: dataDir,
      // An external issuer nobody needs to reach: the dev issuer stays out of these tests.
      AUTH_ISSUER: 'https://127.0.0.1:9/',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not exit within 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('runDemo', () => {
  it('drains and exits 0 on a SIGTERM sent the moment the ready line is printed', async () => {
    const result = await runFixture({}, ['--import', path.join(fixtures, 'term-on-ready.mjs')]);
    expect(result.stdout).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(result.signal, result.stderr).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('restguard demo: shutting down, draining requests in flight');
  }, 90_000);

  it('says why the API-key store is unavailable at start-up, without the password', async () => {
    const result = await runFixture({
      DATABASE_URL: 'postgres://restguard:do-not-print-me@127.0.0.1:9/notes',
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    const refusal = lines.find((line) => line.includes('The API-key store is unavailable.'));
    expect(refusal, result.stderr).toMatch(
      /^restguard demo \(hono\): could not start: The API-key store is unavailable\. \(.*ECONNREFUSED.*\)$/,
    );
    expect(result.stderr).not.toContain('do-not-print-me');
  }, 90_000);
});
