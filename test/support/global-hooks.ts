/**
 * Mocha root hooks (loaded through .mocharc.json "file"): one real database
 * server for the whole run, started the same way `npm start` starts the
 * embedded one, on a throwaway data directory. Each test makes its own
 * organization (test/support/harness.ts), so no test sees another's data.
 */
import { startHarness, stopHarness } from './harness.js';

before(async function () {
  this.timeout(120_000);
  await startHarness();
});

after(async function () {
  this.timeout(30_000);
  await stopHarness();
});
