import { countsPhase } from './counts';
import { e2ePhase } from './e2e';
import { flappingPhase } from './flapping';
import { ingestPhase } from './ingest';
import { latencyPhase } from './latency';
import { memoryPhase } from './memory';
import { npmStartPhase } from './npmStart';
import type { Phase } from './phase';
import { scalePhase } from './scale';

/**
 * Every phase of `npm run bench`, in the order they run (BENCH_PHASES picks a subset by name).
 * Order matters: counts before the throughput rounds (its instrumented worker is replaced by the
 * regular one), e2e before latency (latency offers a share of the capacity e2e measured).
 * A new phase: a file of its own exporting a Phase, one line here.
 */
export const PHASES: Phase[] = [
  ingestPhase,
  countsPhase,
  e2ePhase,
  latencyPhase,
  memoryPhase,
  scalePhase,
  npmStartPhase,
  flappingPhase,
];
