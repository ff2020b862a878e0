/**
 * Prints one plain closing line, `jest: N passed, N failed, N skipped`, which CI logs and humans
 * can read at a glance after the per-project output.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
