// Starts the local registry and publishes the workspace once, for every scenario file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type Published, publishWorkspace } from '../src/publish.js';
import { startRegistry } from '../src/registry.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registryUrl: string;
    published: Published[];
    tempRoot: string;
  }
}

export default async function setup(project: TestProject) {
  const tempRoot = await mkdtemp(join(tmpdir(), 'restguard-consumer-'));
  const registry = await startRegistry(join(tempRoot, 'registry'));
  try {
    const published = await publishWorkspace(join(tempRoot, 'workspace'), registry);
    console.log(
      `published to ${registry.url} with changeset publish: ${published.map((p) => `${p.name}@${p.version}`).join(', ')}`,
    );
    project.provide('registryUrl', registry.url);
    project.provide('published', published);
    project.provide('tempRoot', tempRoot);
  } catch (err) {
    await registry.stop();
    await rm(tempRoot, { recursive: true, force: true });
    throw err;
  }
  return async () => {
    await registry.stop();
    await rm(tempRoot, { recursive: true, force: true });
  };
}
