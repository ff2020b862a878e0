import { bundleWorkflowCode } from '@temporalio/worker';
import { OTEL_WORKFLOW_INTERCEPTORS, TRACED_BUNDLE_FLAG } from './bundleVariant';

/**
 * Bundles the workflows (webpack) and writes the code to stdout. Run as a short-lived child by
 * workflowBundle() (./worker.ts): webpack leaves the bundling process ~110 MB larger for good
 * (measured: RSS 142 → 255 MB, 251 after GC with 59 MB of heap in use), which a worker would
 * otherwise carry for its whole life.
 */
const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

const traced = process.argv.includes(TRACED_BUNDLE_FLAG);

bundleWorkflowCode({
  workflowsPath: require.resolve('../../workflows'),
  workflowInterceptorModules: traced ? [require.resolve(OTEL_WORKFLOW_INTERCEPTORS)] : [],
  logger: quiet,
})
  .then(({ code }) => process.stdout.write(code))
  .catch((err: unknown) => {
    process.stderr.write(`workflow bundling failed: ${String(err instanceof Error ? (err.stack ?? err.message) : err)}\n`);
    process.exitCode = 1;
  });
