import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TargetRow } from './phases/phase';
import { ROOT } from './stack/processes';

/** The printed table: every figure with what it is compared to, its target and whether it is met. */
export function printTable(rows: TargetRow[]): string {
  const header = ['metric', 'switchboard', 'baseline', 'value', 'target', 'met'];
  const cells = [header, ...rows.map((r) => [r.metric, r.switchboard, r.baseline ?? '', r.value ?? '', r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'NOT MET'])];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const table = cells.map((c) => c.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd()).join('\n');
  const targets = rows.filter((r) => r.met !== undefined);
  const summary = `${targets.filter((r) => r.met).length} of ${targets.length} targets met`;
  return `${table}\n\n${summary}\n`;
}

/** Writes bench/results/<timestamp>.json; returns its path relative to the repository. */
export function writeResults(results: Record<string, unknown>, rows: TargetRow[]): string {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...results, targets: rows }, null, 2) + '\n');
  return path.relative(ROOT, file);
}
