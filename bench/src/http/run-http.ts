/**
 * The HTTP suite: per framework, child servers for every variant (pinned to the servers' CPU), a
 * sanity probe of each row, then paired rounds: in each round every row runs once, the rows of one
 * scenario back to back (bare, floor, peer, restguard, then again next round: A B A B …). Every
 * round is kept; medians and per-round ratios are taken from them.
 */
import { type BenchConfig, selected } from '../config.js';
import { median } from '../measure.js';
import type { BenchRow } from '../results.js';
import { type Child, startChild, stopChild } from './children.js';
import { FRAMEWORKS, type Variant } from './fixture.js';
import { type LoadPlan, type LoadResult, load, pinServer, probe } from './load.js';
import { type HttpMaterial, type HttpRow, httpRows } from './rows.js';

/**
 * Runs the HTTP rows of every selected framework.
 * @example
 * const rows = await runHttpSuite(config, plan, fixturePath, material, postgresNote);
 */
export async function runHttpSuite(
  config: BenchConfig,
  plan: LoadPlan,
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
    const started = await Promise.all(
      variants.map((v) => startChild(framework, v, fixturePath, config.cpuProfileDir)),
    );
    const children = new Map<Variant, Child>(variants.map((v, i) => [v, started[i]!]));
    for (const child of started) if (!('error' in child)) pinServer(plan, child.process.pid);
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
    if (config.httpWarmupMs > 0) {
      for (const entry of live)
        await load(
          plan,
          entry.port,
          entry.row.path,
          entry.row.credentials,
          entry.row.expect,
          config.httpWarmupMs,
        );
    }
    for (let round = 0; round < config.httpRounds; round++) {
      for (const entry of live)
        entry.rounds.push(
          await load(
            plan,
            entry.port,
            entry.row.path,
            entry.row.credentials,
            entry.row.expect,
            config.httpMs,
          ),
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
        result.rounds = entry.rounds.map(({ opsPerSecond, p50Us, p99Us }) => ({
          opsPerSecond,
          p50Us,
          p99Us,
        }));
      }
    }
    await Promise.all([...children.values()].map(stopChild));
  }
  return out;
}
