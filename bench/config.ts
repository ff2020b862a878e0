/**
 * Every knob of `npm run bench`, read once from the environment. The defaults are the issue's
 * targets measured in one run that fits about 12 minutes on the 2-core CI machine.
 */
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const list = (name: string, fallback: string) => env(name, fallback).split(',').map(Number).filter(Boolean);

export const BENCH = {
  /** Which phases to run, in the registry's order (bench/phases/registry.ts). */
  phases: new Set(env('BENCH_PHASES', 'ingest,counts,e2e,latency,memory,scale,npmstart,flapping').split(',')),
  ingestRates: list('BENCH_INGEST_RATES', '25,50,100,200,300,400,500,600,700,800,900,1000,1100,1200,1350,1500,1650,1800,2000,2200,2400,2650,2900,3200,3500,3900,4300,4800,5300,5800,6400,7200'),
  stepSeconds: Number(env('BENCH_STEP_SECONDS', '6')),
  ingestWarmupRate: 100,
  ingestWarmupSeconds: 5,
  e2eEvents: Number(env('BENCH_E2E_EVENTS', '1000')),
  e2eRounds: Math.max(1, Number(env('BENCH_E2E_ROUNDS', '3'))),
  e2eWarmup: Number(env('BENCH_E2E_WARMUP', '300')),
  /** Sizes of the scale curve; the smallest also runs last, so two of its rounds bracket the rest. */
  scale: list('BENCH_SCALE', '1000,4000'),
  countEvents: Number(env('BENCH_COUNT_EVENTS', '100')),
  countConcurrency: Number(env('BENCH_COUNT_CONCURRENCY', '4')),
  latencySeconds: Number(env('BENCH_LATENCY_SECONDS', '60')),
  /** Share of the measured end-to-end capacity the latency phase offers, steadily. */
  latencyLoad: Number(env('BENCH_LATENCY_LOAD', '0.5')),
  latencyHopSample: Number(env('BENCH_LATENCY_HOP_SAMPLE', '200')),
  memoryInFlight: Number(env('BENCH_MEMORY_IN_FLIGHT', '1000')),
  /** Extra node flags for Switchboard's own processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
  nodeOptions: env('BENCH_NODE_OPTIONS', '').split(' ').filter(Boolean),
  keepLogs: Boolean(process.env['BENCH_KEEP_LOGS']),
  /** Connections of the load generator and the end-to-end poster. */
  concurrency: 32,
};

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
