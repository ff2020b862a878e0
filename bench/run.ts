import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH, log } from './config';
import { E2eEnvironment } from './e2eEnvironment';
import type { BenchContext, TargetRow } from './phases/phase';
import { PHASES } from './phases/registry';
import { BenchReceiver } from './receiver';
import { printTable, writeResults } from './report';
import { BenchStack } from './stack/benchStack';
import { setLogDir } from './stack/processes';

/**
 * `npm run bench`: Switchboard against baselines measured in the same run, on the real local
 * stack (embedded Postgres, Temporal dev server, server and worker as separate processes), and
 * the deterministic counts. Prints one table (each figure with its target and whether it
 * is met) and writes bench/results/<date>.json. Knobs: bench/config.ts and docs/benchmarks.md.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  setLogDir(root);
  const receiver = new BenchReceiver();
  let stack: BenchStack | undefined;
  let e2e: E2eEnvironment | undefined;
  let keepLogs = BENCH.keepLogs;
  const results: Record<string, unknown> = {};
  const rows: TargetRow[] = [];
  let stopping: Promise<void> | undefined;
  const stopEverything = () =>
    (stopping ??= (async () => {
      receiver.close();
      await e2e?.stop();
      await stack?.stop();
      if (keepLogs) log(`process logs kept in ${root}`);
      else rmSync(root, { recursive: true, force: true });
    })());
  // A Ctrl-C stops what the bench started (the server and worker would otherwise outlive it).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      keepLogs = true;
      log(`${signal}: stopping`);
      void stopEverything().finally(() => process.exit(130));
    });
  }
  try {
    await receiver.start();
    const s = (stack = await BenchStack.start(root));
    let e2eStarting: Promise<E2eEnvironment> | undefined;
    const ctx: BenchContext = {
      root,
      stack: s,
      receiver,
      results,
      rows,
      // Started by the first phase that needs it, shared by the rest, stopped at the end.
      e2e: () => (e2eStarting ??= E2eEnvironment.start(s, receiver).then((env) => (e2e = env))),
    };
    for (const phase of PHASES) {
      if (!BENCH.phases.has(phase.name)) continue;
      const t0 = Date.now();
      await phase.run(ctx);
      log(`phase ${phase.name} took ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    if (e2e) {
      rows.push(e2e.integrityRow());
      results['integrity'] = e2e.integrity;
    }
    results['machine'] = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
    results['durationSeconds'] = Math.round((Date.now() - started) / 1000);
  } catch (err) {
    keepLogs = true;
    throw err;
  } finally {
    await stopEverything();
  }
  process.stdout.write('\n' + printTable(rows) + '\n');
  process.stdout.write(`results written to ${writeResults(results, rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
