// pnpm (the pinned version), strict node_modules and no workspace: install core, the Hono adapter and
// the testing kit from the local registry, run the app in ESM and CommonJS.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { appSource } from '../src/apps.js';
import { consumerEnv, consumerFolder, FRAMEWORKS, installedManifest, PNPM } from '../src/consumer.js';
import { run } from '../src/run.js';

let dir: string;
beforeAll(async () => {
  dir = await consumerFolder('pnpm');
  const packages = [
    '@restguard/core',
    '@restguard/hono',
    '@restguard/testing',
    FRAMEWORKS.hono,
    FRAMEWORKS.honoNode,
  ];
  await run(process.execPath, [PNPM, 'add', ...packages], { cwd: dir, env: consumerEnv() });
  const versions = await Promise.all(
    ['@restguard/core', '@restguard/hono', '@restguard/testing'].map(
      async (name) => `${name}@${(await installedManifest(dir, name)).version}`,
    ),
  );
  console.log(`pnpm installed from the local registry: ${versions.join(', ')}`);
});

for (const format of ['esm', 'cjs'] as const) {
  it(`pnpm: hono, ${format === 'esm' ? 'ESM (import)' : 'CommonJS (require)'} answers 401 without a token and 200 with one`, async () => {
    const file = `hono-app.${format === 'esm' ? 'mjs' : 'cjs'}`;
    await writeFile(join(dir, file), appSource('hono', format));
    const { stdout } = await run(process.execPath, [file], { cwd: dir, env: consumerEnv() });
    const answer = JSON.parse(stdout.trim().split('\n').pop()!);
    console.log(`pnpm / hono / ${format}: ${JSON.stringify(answer)}`);
    expect(answer).toMatchObject({ anonymous: 401, authorized: 200 });
  });
}
