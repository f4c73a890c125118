/** A fresh consumer folder outside the repository: a package.json, an .npmrc for the local registry. */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ROOT } from './publish.js';
import { cleanEnv } from './run.js';

/** Framework versions the consumers install (the ones the workspace tests against). */
export const FRAMEWORKS = {
  express: 'express@5.3.0',
  fastify: 'fastify@5.12.8',
  hono: 'hono@4.13.19',
  honoNode: '@hono/node-server@2.1.9',
} as const;

/** The repository's pnpm (the pinned one) and TypeScript compiler. */
export const PNPM = join(ROOT, 'node_modules', 'pnpm', 'bin', 'pnpm.mjs');
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * Creates `<tempRoot>/<name>` with a package.json and an .npmrc pointing at the local registry.
 * @example
 * const dir = await consumerFolder('npm-express');
 */
export async function consumerFolder(
  name: string,
  type: 'module' | 'commonjs' = 'commonjs',
): Promise<string> {
  const dir = join(inject('tempRoot'), name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name, private: true, type }, null, 2)}\n`);
  await writeFile(
    join(dir, '.npmrc'),
    `registry=${inject('registryUrl')}\naudit=false\nfund=false\nupdate-notifier=false\nminimum-release-age=0\n`,
  );
  return dir;
}

/** The environment for installs in a consumer folder: the local registry, nothing of the repository's. */
export function consumerEnv(): NodeJS.ProcessEnv {
  return cleanEnv({ npm_config_registry: inject('registryUrl') });
}

/**
 * Bytes of every file under `dir` (apparent size, as `du --apparent-size -b`).
 * @example
 * const bytes = await folderBytes('node_modules');
 */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

/** The installed manifest of a package in a consumer folder. */
export async function installedManifest(dir: string, name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
}
