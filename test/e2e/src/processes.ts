/**
 * Starting the apps as separate processes, exactly as their READMEs do (`node dist/main.js` in the
 * app's folder), and reading what they print.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { type Started, startApp } from '@restguard/test-support/processes';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A fresh temporary folder. */
export const tempDir = (prefix: string) => mkdtempSync(path.join(tmpdir(), `restguard-${prefix}-`));

/** Runs a bash script (the printed curl commands) and returns its stdout, one entry per line run. */
export async function runShell(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], {
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
