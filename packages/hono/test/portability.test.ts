// "No Node built-ins on its path": the adapter and everything it loads from @restguard/core must run
// on Web-standard runtimes (Workers, Deno, Bun), so none of it may import a Node module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const NODE_ONLY =
  /^(node:|@restguard\/core\/node$|(assert|buffer|child_process|crypto|dns|events|fs|http|https|http2|net|os|path|process|stream|tls|url|util|zlib)(\/|$))/;

function specifiers(file: string): string[] {
  // Comments (TSDoc examples) may mention anything; only code counts.
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!);
  return found.filter((specifier) => !specifier.startsWith('.') || specifier.endsWith('.js'));
}

/** Every specifier reachable from `entry` through relative imports. */
function reachable(entry: string, seen = new Set<string>()): string[] {
  if (seen.has(entry)) return [];
  seen.add(entry);
  const out: string[] = [];
  for (const specifier of specifiers(entry)) {
    if (specifier.startsWith('.')) out.push(...reachable(resolve(dirname(entry), specifier), seen));
    else out.push(specifier);
  }
  return out;
}

it('imports no Node module, directly or through @restguard/core', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const adapter = reachable(join(here, '../src/index.ts'));
  expect(adapter).toContain('@restguard/core');
  const coreEntry = join(dirname(createRequire(import.meta.url).resolve('@restguard/core')), 'index.js');
  const core = reachable(coreEntry);
  for (const specifier of [...adapter, ...core]) expect(specifier).not.toMatch(NODE_ONLY);
  expect(core).toContain('jose');
});
