// Mocha's spec reporter, plus the plain closing line CI reads: "N passed, N failed, N skipped".
// eslint-disable-next-line @typescript-eslint/no-require-imports -- mocha loads reporters as CommonJS
const { reporters, Runner } = require('mocha');

class SummaryReporter extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
