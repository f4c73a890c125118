/**
 * Starting the apps as separate processes, exactly as their READMEs do (`node dist/main.js` in the
 * app's folder), and reading what they print: shared by the end-to-end and reliability suites.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A started process and everything it has printed so far. */
export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop: () => Promise<void>;
}

/** Starts `node <script>` in `apps/<app>` and resolves once its output matches `ready`. */
export async function startApp(
  app: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 90_000,
  script = 'dist/main.js',
  wrapper: string[] = [],
): Promise<Started> {
  // `wrapper` runs the app under another command (e.g. `unshare -m …`), which must exec it.
  const [command, ...args] = [...wrapper, process.execPath, script];
  const child = spawn(command!, args, {
    cwd: path.join(repoRoot, 'apps', app),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start in time:\n${out}`)), timeoutMs);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code}:\n${out}`));
    });
  });
  return { child, output: () => out, exited, stop };
}
