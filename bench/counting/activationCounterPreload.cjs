// @ts-check
/**
 * Bench only: loaded with `node --require` into the counts pass's worker process (never into the
 * worker the throughput rounds measure), it wraps Worker.create so the worker's workflows are
 * bundled with activationInterceptor.ts and its sink counts every concluded activation (replays
 * included). The count is served as JSON on 127.0.0.1:BENCH_ACTIVATION_COUNTER_PORT. Product code
 * is untouched: the same `switchboard worker` command and options, plus the interceptor.
 * Plain CommonJS: node also runs preloads in the SDK's workflow worker threads, where tsx's
 * loader is not registered (it returns at once there).
 */
const { isMainThread } = require('node:worker_threads');

if (isMainThread) {
  const http = require('node:http');
  const path = require('node:path');
  const { Worker } = require('@temporalio/worker');

  const port = Number(process.env.BENCH_ACTIVATION_COUNTER_PORT);
  const workflowsPath = path.resolve(__dirname, '../../workflows');
  const interceptorModule = path.resolve(__dirname, 'activationInterceptor.ts');
  let activations = 0;

  const create = Worker.create.bind(Worker);
  /** @param {import('@temporalio/worker').WorkerOptions} options */
  Worker.create = (options) => {
    // A prebuilt bundle cannot take an interceptor module: bundle from source with it instead.
    const { workflowBundle: _prebuilt, ...rest } = options;
    return create({
      ...rest,
      workflowsPath,
      interceptors: { ...rest.interceptors, workflowModules: [...(rest.interceptors?.workflowModules ?? []), interceptorModule] },
      sinks: { ...rest.sinks, benchActivations: { concluded: { fn: () => void activations++, callDuringReplay: true } } },
    });
  };

  http
    .createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ activations })))
    .listen(port, '127.0.0.1')
    .unref();
}
