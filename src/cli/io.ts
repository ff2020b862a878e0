/**
 * Where a command writes. Data goes to `out` (stdout), progress and diagnostics to `err`
 * (stderr), so `switchboard … --json | jq` always sees clean JSON. Tests pass their own.
 */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress redraws one line instead of printing many. */
  errIsTTY: boolean;
}

export const processIO: CliIO = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  errIsTTY: Boolean(process.stderr.isTTY),
};

export function printJson(io: CliIO, data: unknown): void {
  io.out(JSON.stringify(data, null, 2) + '\n');
}

type Cell = string | number | boolean | Date | null | undefined;

function cellText(v: Cell): string {
  if (v === null || v === undefined) return '-';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

/** A plain aligned table for humans; `--json` is the format for scripts. */
export function printTable<T extends object>(io: CliIO, rows: T[], columns: Array<keyof T & string>, empty = '(none)'): void {
  if (rows.length === 0) {
    io.out(empty + '\n');
    return;
  }
  const cells = rows.map((r) => columns.map((c) => cellText((r as Record<string, unknown>)[c] as Cell)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  io.out(line(columns.map((c) => c.toUpperCase())));
  for (const row of cells) io.out(line(row));
}
