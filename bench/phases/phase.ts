import type { BenchReceiver } from '../receiver';
import type { BenchStack } from '../stack/benchStack';
import type { E2eEnvironment } from '../e2eEnvironment';

/** One line of the printed table: a figure, what it is compared with, and its target if it has one. */
export interface TargetRow {
  metric: string;
  switchboard: string;
  baseline?: string;
  /** The compared figure (a ratio, a count, a percentage) that the target is about. */
  value?: string;
  target?: string;
  /** true met, false not met, undefined when the row has no target. */
  met?: boolean;
}

export interface BenchContext {
  root: string;
  stack: BenchStack;
  receiver: BenchReceiver;
  /** Everything written to bench/results/<ts>.json, by phase. */
  results: Record<string, unknown>;
  rows: TargetRow[];
  /** Server, worker, baseline worker and Temporal client of the end-to-end phases (started on first use). */
  e2e(): Promise<E2eEnvironment>;
  /** Switchboard's end-to-end delivered/s measured by the e2e phase in this run (the latency phase offers a share of it). */
  capacityPerSecond?: number;
}

/** A bench phase: runs, then adds its figures to ctx.results and its rows to ctx.rows. */
export interface Phase {
  /** The name BENCH_PHASES selects it by. */
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

/** A row with a target: met is computed, never typed in. */
export function targetRow(metric: string, switchboard: string, value: number, target: { op: '<=' | '>=' | '<'; limit: number; unit?: string }, baseline?: string): TargetRow {
  const met = Number.isFinite(value) && (target.op === '<=' ? value <= target.limit : target.op === '<' ? value < target.limit : value >= target.limit);
  const unit = target.unit ?? '';
  return { metric, switchboard, baseline, value: `${Number.isFinite(value) ? value : '-'}${unit}`, target: `${target.op} ${target.limit}${unit}`, met };
}
