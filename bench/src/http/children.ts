/**
 * Server child processes: one per (framework, variant), so the load generator (wrk, or autocannon in the
 * orchestrator) never shares a process — or an event loop — with the server it measures.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Framework, Variant } from './fixture.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A started server child, or why it could not start. */
export type Child = { readonly port: number; readonly process: ChildProcess } | { readonly error: string };

/**
 * Forks `server.ts` for one framework and variant and waits for its port (120 s at most: tsx compiles on a busy machine).
 * With `cpuProfileDir`, the child writes V8 CPU profiles into `<cpuProfileDir>/<framework>-<variant>/`
 * when it exits, one per thread under Node's default names (`CPU.<date>.<time>.<pid>.<thread>…`): the
 * largest of a pid is the server's main thread, the small one tsx's loader thread (a fixed file name
 * would have both threads write one file, and the loader's, written last, would win).
 * @example
 * const child = await startChild('express', 'peer', fixturePath);
 */
export function startChild(
  framework: Framework,
  variant: Variant,
  fixturePath: string,
  cpuProfileDir?: string,
): Promise<Child> {
  const profile = cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfileDir, `${framework}-${variant}`)}`]
    : [];
  const child = fork(join(here, 'server.ts'), [], {
    cwd: join(here, '..', '..'),
    execArgv: ['--import', 'tsx', ...profile],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      RESTGUARD_BENCH_SERVER: JSON.stringify({ framework, variant }),
      RESTGUARD_BENCH_FIXTURE: fixturePath,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve({ error: 'server did not start within 120 s' });
    }, 120_000);
    child.on('message', (message: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (message.port) resolve({ port: message.port, process: child });
      else resolve({ error: message.error ?? 'server failed' });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ error: `server exited (${code}): ${stderr.split('\n').find((l) => l.trim()) ?? ''}` });
    });
  });
}

/**
 * Stops a child: disconnects IPC (it closes its server and exits), then kills it if it lingers.
 * @example
 * await stopChild(child);
 */
export async function stopChild(child: Child): Promise<void> {
  if ('error' in child) return;
  const proc = child.process;
  if (proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  if (proc.connected) proc.disconnect();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
