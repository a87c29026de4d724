// Mocha's spec reporter plus one closing line "N passed, N failed" that CI reads.
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0 } = runner.stats ?? {};
      // After the spec reporter's own epilogue, which it prints on the same event.
      process.nextTick(() => process.stdout.write(`\n${passes} passed, ${failures} failed\n`));
    });
  }
}

module.exports = SummaryReporter;
