/**
 * Runs the REAL built binary (`node dist/bin.js`) as a child process, as a user would. The build
 * must exist: `npx tsup` in packages/core, store-sqlite, store-postgres and cli (turbo's `test`
 * task depends on `build`). A missing build fails the tests; it never skips them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, beforeEach, expect } from 'vitest';

/** The built executable. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** A module-resolution tracer (see fixtures/trace-imports.mjs). */
export const TRACER = fileURLToPath(new URL('./fixtures/trace-imports.mjs', import.meta.url));

/** What one run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Extra environment; `DATABASE_URL` and `RESTGUARD_*` are removed from the parent's first. */
  env?: Record<string, string>;
  cwd?: string;
  /** Extra `node` flags before the script (e.g. `--import`). */
  nodeArgs?: string[];
}

/**
 * Runs `restguard ...args` and collects its exit code and output.
 * @example
 * const { code, stdout } = await run(['keys', 'list', '--db', `sqlite:${file}`, '--json']);
 */
export function run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: build core, the stores and the CLI first (npx tsup in each).`);
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      name !== 'DATABASE_URL' &&
      !name.startsWith('RESTGUARD_') &&
      name !== 'NODE_OPTIONS'
    ) {
      env[name] = value;
    }
  }
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), BIN, ...args],
      { env, cwd: options.cwd ?? process.cwd(), timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The refusal contract: exit code 2, exactly one line on stderr (`restguard: …`), nothing on stdout.
 * `message` must match that line when given.
 * @example
 * expectRefused(await run(['nope']), /unknown command/);
 */
export function expectRefused(result: RunResult, message?: RegExp): void {
  expect(result.code, `stderr: ${result.stderr}`).toBe(2);
  expect(result.stderr).toMatch(/^restguard: [^\n]+\n$/);
  expect(result.stdout).toBe('');
  if (message) expect(result.stderr).toMatch(message);
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'restguard-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `beforeAll` whose failure fails EVERY test of the suite (vitest would only mark them skipped, and
 * a skipped test is not a failure): e.g. PostgreSQL tests without TEST_DATABASE_URL must fail.
 * @example
 * beforeAllOrFail(async () => { database = await freshDatabase(); });
 */
export function beforeAllOrFail(setup: () => Promise<void>): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await setup();
    } catch (err) {
      failure = err ?? new Error('setup failed');
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
}
