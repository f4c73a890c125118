// Every published tarball, as the registry serves it: version 0.1.0, no `workspace:` range left, caret
// ranges for third-party dependencies, a LICENSE, a README, `homepage` and `bugs`.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { run } from '../src/run.js';

interface Packument {
  versions: Record<string, { dist: { tarball: string } }>;
}

for (const { name, version } of inject('published')) {
  it(`${name}@${version}: the tarball is complete and has no workspace: range`, async () => {
    expect(version).toBe('0.1.0');
    const packument = (await (
      await fetch(`${inject('registryUrl')}${name.replace('/', '%2f')}`)
    ).json()) as Packument;
    const tarball = await fetch(packument.versions[version]!.dist.tarball);
    expect(tarball.status).toBe(200);
    const dir = join(inject('tempRoot'), 'tarballs', name.replace('/', '+'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.tgz'), Buffer.from(await tarball.arrayBuffer()));
    await run('tar', ['-xzf', 'package.tgz'], { cwd: dir });
    const files = await readdir(join(dir, 'package'));
    const text = await readFile(join(dir, 'package', 'package.json'), 'utf8');
    const manifest = JSON.parse(text) as Record<string, unknown> & {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    console.log(`${name}@${version}: ${files.sort().join(', ')}`);
    expect(text).not.toContain('workspace:');
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist']));
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs).toEqual({ url: expect.stringMatching(/^https:\/\//) });
    for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      expect(`${dep}@${range}`).toMatch(/@(\^|>=|\d+\.\d+\.\d+ \|\|)/);
      if (dep.startsWith('@restguard/')) expect(`${dep}@${range}`).toBe(`${dep}@^0.1.0`);
    }
  });
}
