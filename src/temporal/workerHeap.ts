import { setFlagsFromString } from 'node:v8';

/**
 * Makes V8 keep the worker's heaps near their live size. Left to itself V8 sizes a busy process's
 * old generation for throughput, letting garbage grow to several times the live data before a full
 * collection: at ~1000 events in flight the worker's main heap reached 220 MB with 66 MB live, and
 * peak RSS 420-500 MB. With --optimize-for-size it stays ~90 MB and peak RSS ~310 MB
 * (docs/benchmarks.md, "Worker memory"). Set before the worker creates its workflow thread, whose
 * isolate is made with the flag too; the main isolate's collector reads it as it runs.
 */
export function favourWorkerMemoryOverSpeed(): void {
  setFlagsFromString('--optimize-for-size');
}
