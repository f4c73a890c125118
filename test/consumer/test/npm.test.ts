// npm: install core, every adapter, its framework and the testing kit from the local registry into a
// fresh folder (no workspace links), then run each framework's app in ESM and CommonJS, type-check a
// consumer under three module resolutions, bundle the Hono app for a Web runtime and run it there, and
// check that importing an adapter patches no global.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appSource,
  edgeRunnerSource,
  edgeSource,
  type Framework,
  NODE_GLOBALS,
  typeCheckSource,
} from '../src/apps.js';
import { consumerEnv, consumerFolder, FRAMEWORKS, installedManifest, TSC } from '../src/consumer.js';
import { run } from '../src/run.js';

let dir: string;
const restguardPackages = [
  '@restguard/core',
  '@restguard/express',
  '@restguard/fastify',
  '@restguard/hono',
  '@restguard/testing',
];

beforeAll(async () => {
  dir = await consumerFolder('npm');
  const packages = [
    ...restguardPackages,
    FRAMEWORKS.express,
    FRAMEWORKS.fastify,
    FRAMEWORKS.hono,
    FRAMEWORKS.honoNode,
    '@types/node@20.19.43',
    '@types/express@5.0.6',
  ];
  await run('npm', ['install', '--no-audit', '--no-fund', ...packages], { cwd: dir, env: consumerEnv() });
  const versions = await Promise.all(
    restguardPackages.map(async (name) => `${name}@${(await installedManifest(dir, name)).version}`),
  );
  console.log(`npm installed from the local registry: ${versions.join(', ')}`);
});

describe('npm: each framework answers 401 without a token and 200 with one', () => {
  for (const framework of ['express', 'fastify', 'hono'] as Framework[]) {
    for (const format of ['esm', 'cjs'] as const) {
      it(`${framework}, ${format === 'esm' ? 'ESM (import)' : 'CommonJS (require)'}`, async () => {
        const file = `${framework}-app.${format === 'esm' ? 'mjs' : 'cjs'}`;
        await writeFile(join(dir, file), appSource(framework, format));
        const { stdout } = await run(process.execPath, [file], { cwd: dir, env: consumerEnv() });
        const answer = JSON.parse(stdout.trim().split('\n').pop()!);
        console.log(`npm / ${framework} / ${format}: ${JSON.stringify(answer)}`);
        expect(answer.anonymous).toBe(401);
        expect(answer.challenge).toMatch(/^Bearer realm="restguard"/);
        expect(answer.authorized).toBe(200);
        expect(answer.body.subject).toEqual(expect.any(String));
      });
    }
  }
});

describe('npm: tsc resolves every entry point', () => {
  const settings = {
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
    node10: { module: 'commonjs', moduleResolution: 'node10' },
  } as const;
  for (const [name, compilerOptions] of Object.entries(settings)) {
    it(`moduleResolution ${name}`, async () => {
      await writeFile(join(dir, `check-${name}.ts`), typeCheckSource);
      await writeFile(
        join(dir, `tsconfig.${name}.json`),
        JSON.stringify({
          compilerOptions: {
            ...compilerOptions,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            esModuleInterop: true,
            types: ['node'],
          },
          files: [`check-${name}.ts`],
        }),
      );
      const result = await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], {
        cwd: dir,
        env: consumerEnv(),
        allowFailure: true,
      });
      console.log(`npm / tsc --moduleResolution ${name}: exit ${result.code}`);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  }
});

it('npm: the Hono app bundles for a Web runtime (esbuild --platform=neutral) and answers with Web APIs only', async () => {
  await writeFile(join(dir, 'edge.mjs'), edgeSource);
  await writeFile(join(dir, 'edge-run.mjs'), edgeRunnerSource);
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: ['edge.mjs'],
    bundle: true,
    platform: 'neutral',
    format: 'esm',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    outfile: join(dir, 'edge.bundle.mjs'),
    metafile: true,
    logLevel: 'silent',
    // A Web runtime has none of Node's globals: in the bundle they are `undefined`, so any use fails.
    define: Object.fromEntries(NODE_GLOBALS.map((name) => [name, 'undefined'])),
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(
    inputs.filter((input) => /^(node:|<runtime>)/.test(input) || input.startsWith('node_modules/@types')),
  ).toEqual([]);
  const { stdout } = await run(process.execPath, ['edge-run.mjs'], { cwd: dir, env: consumerEnv() });
  const answer = JSON.parse(stdout.trim().split('\n').pop()!);
  console.log(`npm / hono bundled for a Web runtime (${inputs.length} modules): ${JSON.stringify(answer)}`);
  expect(answer).toMatchObject({ anonymous: 401, authorized: 200 });
});

it('npm: importing an adapter leaves globalThis.Reflect as it was', async () => {
  for (const specifier of [
    '@restguard/express',
    '@restguard/fastify',
    '@restguard/hono',
    '@restguard/core/node',
  ]) {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const before = Object.getOwnPropertyNames(Reflect).sort().join();
         await import(${JSON.stringify(specifier)});
         console.log(before === Object.getOwnPropertyNames(Reflect).sort().join() ? 'same' : 'patched');`,
      ],
      { cwd: dir, env: consumerEnv() },
    );
    expect(`${specifier}: ${stdout.trim()}`).toBe(`${specifier}: same`);
  }
});
