// Sums the vitest JSON reports of every workspace and prints the closing line CI reads:
// `N passed, N failed`. A suite that failed without running its tests (an import error, a crash)
// counts as one failure; so does every failed step (build, typecheck, lint, check:package).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const failedSteps = Number(process.argv[2] ?? 0);
const reports = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/^test-results.*\.json$/.test(name)) reports.push(path);
  }
};
for (const top of ['packages', 'apps', 'bench', 'test']) {
  try {
    walk(top);
  } catch {}
}

let passed = 0;
let failed = failedSteps;
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
  console.log(`  ${file}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
