/**
 * Publishes every public package the way the release does, on a throwaway copy of the workspace:
 * `changeset version` (the "Version Packages" step) then `changeset publish`, which runs `pnpm publish`
 * per package so `workspace:` ranges become real ones. The repository itself is never changed.
 */
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalRegistry } from './registry.js';
import { cleanEnv, run } from './run.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A published package: name and version. */
export interface Published {
  readonly name: string;
  readonly version: string;
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function workspaceFolders(): Promise<string[]> {
  const folders: string[] = ['bench'];
  for (const parent of ['packages', 'apps', 'test']) {
    for (const entry of await readdir(join(ROOT, parent), { withFileTypes: true })) {
      if (entry.isDirectory()) folders.push(`${parent}/${entry.name}`);
    }
  }
  return folders;
}

/**
 * Copies the workspace to `dir` (public packages whole, less node_modules; private ones as their
 * package.json only), versions it and publishes it to `registry`. Returns what the registry then has.
 * @example
 * const published = await publishWorkspace('/tmp/ws', registry);
 */
export async function publishWorkspace(dir: string, registry: LocalRegistry): Promise<Published[]> {
  await mkdir(dir, { recursive: true });
  for (const file of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'LICENSE', 'README.md']) {
    await cp(join(ROOT, file), join(dir, file));
  }
  await cp(join(ROOT, '.changeset'), join(dir, '.changeset'), { recursive: true });
  const publicNames: string[] = [];
  const folders = new Map<string, string>();
  const manifests = new Map<string, Manifest>();
  for (const folder of await workspaceFolders()) {
    const manifest = JSON.parse(await readFile(join(ROOT, folder, 'package.json'), 'utf8')) as Manifest;
    folders.set(manifest.name, folder);
    manifests.set(folder, manifest);
    await mkdir(join(dir, folder), { recursive: true });
    if (manifest.private) {
      await cp(join(ROOT, folder, 'package.json'), join(dir, folder, 'package.json'));
      continue;
    }
    publicNames.push(manifest.name);
    await cp(join(ROOT, folder), join(dir, folder), {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|\.turbo)([/\\]|$)/.test(source.slice(ROOT.length)),
    });
  }
  // pnpm publish reads the version of a `workspace:` dependency from its node_modules link, as an
  // install would have made it (no install here: it would build native modules for nothing).
  for (const name of publicNames) {
    const folder = folders.get(name)!;
    const manifest = manifests.get(folder)!;
    for (const field of [
      'dependencies',
      'peerDependencies',
      'optionalDependencies',
      'devDependencies',
    ] as const) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        const target = folders.get(dep);
        if (!range.startsWith('workspace:') || !target) continue;
        const link = join(dir, folder, 'node_modules', dep);
        await mkdir(dirname(link), { recursive: true });
        await symlink(relative(dirname(link), join(dir, target)), link, 'dir');
      }
    }
  }
  // The changesets CLI and pnpm of the repository (changelog generator resolved from .changeset/).
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, '.npmrc'), registry.npmrc());
  const env = cleanEnv({
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    npm_config_registry: registry.url,
    GIT_AUTHOR_NAME: 'restguard-ci',
    GIT_AUTHOR_EMAIL: 'ci@restguard.test',
    GIT_COMMITTER_NAME: 'restguard-ci',
    GIT_COMMITTER_EMAIL: 'ci@restguard.test',
  });
  // changeset publish tags the release in git, as in CI.
  await run('git', ['init', '-q'], { cwd: dir, env });
  await writeFile(join(dir, '.gitignore'), 'node_modules\n');
  await run('git', ['add', '-A'], { cwd: dir, env });
  await run('git', ['commit', '-qm', 'workspace copy'], { cwd: dir, env });
  const changeset = join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');
  await run(process.execPath, [changeset, 'version'], { cwd: dir, env });
  await run('git', ['commit', '-qam', 'Version Packages'], { cwd: dir, env });
  await run(process.execPath, [changeset, 'publish'], { cwd: dir, env, timeoutMs: 300_000 });

  const published: Published[] = [];
  for (const name of publicNames) {
    const answer = await fetch(`${registry.url}${name.replace('/', '%2f')}`);
    if (!answer.ok)
      throw new Error(`${name} is not in the registry after changeset publish (${answer.status}).`);
    const packument = (await answer.json()) as { 'dist-tags': { latest: string } };
    published.push({ name, version: packument['dist-tags'].latest });
  }
  return published;
}
