// The release machinery, offline: the GitHub workflows validate against the Actions schema
// (action-validator, a WebAssembly build shipped in its npm package), and the API reference builds with
// TypeDoc with warnings as errors (an undocumented public export fails it).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../src/publish.js';
import { run } from '../src/run.js';

const require = createRequire(import.meta.url);

it('the release workflow is valid, publishes with provenance after the tests, via changesets/action', async () => {
  const workflows = join(ROOT, '.github', 'workflows');
  const files = (await readdir(workflows)).filter((file) => /\.ya?ml$/.test(file));
  expect(files).toContain('release.yml');
  const validator = join(require.resolve('@action-validator/cli/package.json'), '..', 'cli.mjs');
  for (const file of files) {
    const result = await run(process.execPath, [validator, join(workflows, file)], {
      cwd: ROOT,
      allowFailure: true,
    });
    console.log(`action-validator ${file}: exit ${result.code}`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
  const release = await readFile(join(workflows, 'release.yml'), 'utf8');
  expect(release).toContain('changesets/action@');
  expect(release).toContain('id-token: write');
  expect(release).toMatch(/NPM_CONFIG_PROVENANCE: ["']true["']/);
  expect(release).toMatch(/needs: test/);
});

it('the API reference builds with TypeDoc, warnings as errors (`pnpm docs`)', async () => {
  const out = await mkdtemp(join(tmpdir(), 'restguard-docs-'));
  try {
    const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const result = await run(process.execPath, [typedoc, '--out', out, '--logLevel', 'Warn'], {
      cwd: ROOT,
      allowFailure: true,
      timeoutMs: 280_000,
    });
    console.log(`typedoc: exit ${result.code}`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
    const modules = await readdir(join(out, 'modules'));
    expect(modules).toEqual(
      expect.arrayContaining([
        '_restguard_core.index.html',
        '_restguard_core.node.html',
        '_restguard_express.html',
      ]),
    );
    const documents = await readdir(join(out, 'documents'));
    expect(documents).toEqual(
      expect.arrayContaining(['tokens.html', 'api-keys.html', 'sessions.html', 'tls.html', 'events.html']),
    );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
