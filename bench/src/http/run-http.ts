/**
 * The HTTP suite: per framework, child servers for every variant, a sanity probe of each row, then
 * interleaved autocannon rounds (row 1, row 2, …, row 1, row 2, …) and the medians.
 */
import { type BenchConfig, selected } from '../config.js';
import { median } from '../measure.js';
import type { BenchRow } from '../results.js';
import { type Child, startChild, stopChild } from './children.js';
import { FRAMEWORKS, type Variant } from './fixture.js';
import { type LoadResult, load, probe } from './load.js';
import { type HttpMaterial, type HttpRow, httpRows } from './rows.js';

/**
 * Runs the HTTP rows of every selected framework.
 * @example
 * const rows = await runHttpSuite(config, fixturePath, material, postgresNote);
 */
export async function runHttpSuite(
  config: BenchConfig,
  fixturePath: string,
  material: HttpMaterial,
  postgresNote?: string,
): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  for (const framework of FRAMEWORKS) {
    if (!selected(config, `http/${framework}`)) continue;
    const section = `HTTP: ${framework}`;
    const planned = httpRows(framework, material).filter((r) =>
      selected(config, `http/${framework}/${r.scenarioKey}`),
    );
    if (material.postgresKeys.length === 0) {
      const note = postgresNote ?? 'skipped: no PostgreSQL keys';
      out.push({
        section,
        group: `http/${framework}/apikey-postgres`,
        scenario: 'API key, PostgreSQL',
        label: 'restguard (PostgreSQL store)',
        role: 'restguard',
        note,
      });
    }
    const variants = [...new Set(planned.map((r) => r.variant))];
    const started = await Promise.all(variants.map((v) => startChild(framework, v, fixturePath)));
    const children = new Map<Variant, Child>(variants.map((v, i) => [v, started[i]!]));
    const live: Array<{ row: HttpRow; port: number; rounds: LoadResult[] }> = [];
    for (const row of planned) {
      const result: BenchRow = {
        section,
        group: `http/${framework}/${row.scenarioKey}`,
        scenario: row.scenario,
        label: row.label,
        role: row.role,
      };
      out.push(result);
      const child = children.get(row.variant)!;
      if ('error' in child) {
        result.note = `not run: ${child.error}`;
        continue;
      }
      const status = await probe(child.port, row.path, row.credentials).catch((err: Error) => err.message);
      if (status !== row.expect) {
        result.note = `not run: sanity probe answered ${status}, expected ${row.expect}`;
        continue;
      }
      live.push({ row, port: child.port, rounds: [] });
    }
    const settings = {
      seconds: config.httpSeconds,
      amount: config.httpAmount,
      connections: config.connections,
    };
    for (let round = 0; round < config.httpRounds; round++) {
      for (const entry of live)
        entry.rounds.push(
          await load(entry.port, entry.row.path, entry.row.credentials, entry.row.expect, settings),
        );
    }
    for (const entry of live) {
      const result = out.find(
        (r) => r.section === section && r.label === entry.row.label && r.scenario === entry.row.scenario,
      )!;
      const problem = entry.rounds.find((r) => r.problem)?.problem;
      if (problem) result.note = `void: ${problem}`;
      else {
        result.opsPerSecond = median(entry.rounds.map((r) => r.opsPerSecond));
        result.p50Us = median(entry.rounds.map((r) => r.p50Us));
        result.p99Us = median(entry.rounds.map((r) => r.p99Us));
      }
    }
    await Promise.all([...children.values()].map(stopChild));
  }
  return out;
}
