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

/**
 * What `switchboard worker` adds to its environment when a launcher starts it (`npm start`, the
 * cluster stack, the bench; the image sets the same). glibc's malloc gives threads that allocate
 * at once arenas of their own, up to 8 per core, and each arena keeps what was freed in it; the
 * worker has many such threads (the Temporal core's Rust runtime, the workflow thread, libuv's
 * pool). Two arenas held its peak RSS at ~1000 events in flight 295 MB against 316 MB, with no
 * CPU cost visible (docs/benchmarks.md, "Worker memory"). glibc reads it once, at process start,
 * so it can only come from the environment; an operator's own value wins.
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { MALLOC_ARENA_MAX: env['MALLOC_ARENA_MAX'] ?? '2' };
}
