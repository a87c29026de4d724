/**
 * Mocha root hooks (loaded through .mocharc.json "file"): one real database
 * server for the whole run, started the same way `npm start` starts the
 * embedded one, on a throwaway data directory. Each test makes its own
 * organization (test/support/harness.ts), so no test sees another's data.
 */
import { startHarness, stopHarness } from './harness.js';
import { exercised, missingDocumentedResponses } from './contract-coverage.js';

// Interrupted (Ctrl-C, a CI timeout): exit through process.exit, so the embedded database's
// exit hook stops it instead of leaving it running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
}

before(async function () {
  this.timeout(120_000);
  await startHarness();
});

// Every response the OpenAPI document lists must have been produced by some contract test. Checked
// here, after every test file whatever their order, and only on a run that held responses to the
// document and passed completely (a --grep or single-file run does not fail here; nor does
// `npm run test:file`, which sets ROSTER_PARTIAL_RUN).
after(function () {
  if (process.env.ROSTER_PARTIAL_RUN) return;
  const all: Mocha.Test[] = [];
  const collect = (suite: Mocha.Suite): void => {
    all.push(...suite.tests);
    suite.suites.forEach(collect);
  };
  collect(this.test!.parent!);
  if (exercised.size === 0 || !all.every((t) => t.state === 'passed')) return;
  const missing = missingDocumentedResponses();
  if (missing.length) throw new Error(`documented responses no test produced:\n  ${missing.join('\n  ')}`);
});

after(async function () {
  this.timeout(30_000);
  await stopHarness();
});
