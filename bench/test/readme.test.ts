// The README's performance section is generated, never typed: it must be exactly what the generator
// makes of the committed results file it names, and that file's chart must sit beside it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderChart } from '../src/chart.js';
import { chartPath, loadReport, REPO_ROOT, readmeBlock, renderPerformanceSection } from '../src/readme.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README performance section', () => {
  const { file, block } = readmeBlock(readme);

  it('names a results file that is in the repository', () => {
    expect(file).toMatch(/^bench\/results\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/);
    expect(existsSync(join(REPO_ROOT, file))).toBe(true);
    expect(existsSync(join(REPO_ROOT, file.replace(/\.json$/, '.md')))).toBe(true);
  });

  it('is what the generator makes of that file (run `pnpm bench:readme <file>` after a new run)', () => {
    expect(block).toBe(renderPerformanceSection(file));
  });

  it('shows the chart rendered from that file', () => {
    expect(block).toContain(`](${chartPath(file)})`);
    expect(readFileSync(join(REPO_ROOT, chartPath(file)), 'utf8')).toBe(renderChart(loadReport(file)));
  });

  it('quotes no other run: no figure outside the generated block', () => {
    const section = readme.slice(readme.indexOf('## Performance'), readme.indexOf('## Packages'));
    const outside = section.replace(block, '');
    expect(outside).not.toMatch(/\d+(\.\d+)?×|req\/s|ops\/s|run 1/);
  });

  it('judges every target with a verdict, none met without a spread', () => {
    const report = loadReport(file);
    expect(report.targets.length).toBeGreaterThanOrEqual(31);
    for (const t of report.targets) {
      expect(['met', 'not met', 'unresolved', 'not measured']).toContain(t.verdict);
      if (t.verdict === 'met') expect(t.measured?.min).toBeDefined();
    }
  });
});
