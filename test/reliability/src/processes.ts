/**
 * Real processes for the reliability scenarios: demo apps and the dev issuer started as their READMEs
 * do (`node dist/main.js`), the CLI, free ports, and the figures each scenario prints.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { type Started, startApp } from '@restguard/test-support/processes';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A fresh temporary folder. */
export const tempDir = (prefix: string) => mkdtempSync(path.join(tmpdir(), `restguard-rel-${prefix}-`));

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the `restguard` CLI; resolves with its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/cli/dist/bin.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  return { code, stdout, stderr };
}

/**
 * Prints one scenario's figures on one line (`reliability | scenario | name=value …`), so the test
 * command's output lists every scenario with what it held.
 */
export function report(scenario: string, figures: Record<string, string | number | boolean>): void {
  const line = Object.entries(figures)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  process.stdout.write(`reliability | ${scenario} | ${line}\n`);
}

/** Polls `probe` every `intervalMs` until it returns true; resolves with the time it took (ms). */
export async function timeUntil(
  probe: () => Promise<boolean>,
  boundMs: number,
  intervalMs = 25,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await probe()) return Math.round(performance.now() - start);
    const spent = performance.now() - start;
    if (spent > boundMs) throw new Error(`not within ${boundMs} ms (waited ${Math.round(spent)} ms)`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** One kind of request of a load plan (see load/load.mjs). */
export interface LoadKind {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect: number[];
  revocable?: boolean;
  generate?: 'unknownKid' | 'garbage' | 'unknownKey';
  pool?: number;
}

/** What the load process measured. */
export interface LoadResult {
  total: number;
  rate: number;
  seconds: number;
  errors: number;
  unexpectedCount: number;
  unexpected: { kind: string; status: number }[];
  wronglyAccepted: number;
  worstMs: number;
  stats: Record<string, { count: number; statuses: Record<string, number> }>;
}

/** Runs the load generator as its own process and resolves with its summary. */
export async function runLoad(plan: {
  base: string;
  caFile: string;
  seconds: number;
  connections: number;
  kinds: LoadKind[];
  issuer?: string;
  audience?: string;
}): Promise<LoadResult> {
  const file = path.join(tempDir('load'), 'plan.json');
  writeFileSync(file, JSON.stringify(plan));
  const child = spawn(process.execPath, [path.join(repoRoot, 'test/reliability/load/load.mjs'), file], {
    cwd: path.join(repoRoot, 'test/reliability'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`load generator exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as LoadResult;
}

/** Resident set size of a process, in MiB (Linux `/proc`). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}
