// Prints one closing line per suite and a total, from the JSON reports jest and Playwright wrote,
// so a run that executed no test cannot pass unnoticed.
import { existsSync, readFileSync } from 'node:fs';

const [unitFile, e2eFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function line(label, p, f, s) {
  passed += p;
  failed += f;
  skipped += s;
  console.log(`${label}: ${p} passed, ${f} failed, ${s} skipped`);
}

if (unitFile && existsSync(unitFile)) {
  const r = JSON.parse(readFileSync(unitFile, 'utf8'));
  line(
    'unit',
    r.numPassedTests,
    r.numFailedTests + r.numRuntimeErrorTestSuites,
    r.numPendingTests + r.numTodoTests,
  );
} else {
  line('unit', 0, 1, 0);
}
if (e2eFile && existsSync(e2eFile)) {
  const s = JSON.parse(readFileSync(e2eFile, 'utf8')).stats;
  line('e2e', s.expected + s.flaky, s.unexpected, s.skipped);
} else if (e2eFile) {
  line('e2e', 0, 1, 0);
}
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 || skipped > 0 ? 1 : 0);
