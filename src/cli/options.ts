import { parseDurationMs } from '../config';
import { CliExitError } from './cliError';

/** `--limit`: a positive integer, bounded so one command cannot read a whole table by accident. */
export function parseLimit(value: string, max = 10_000): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliExitError(`--limit must be an integer between 1 and ${max}`, 2);
  return n;
}

/** `--since` takes an ISO timestamp or a look-back duration (`24h`, `30m`, `7d`). */
export function parseSince(value: string, now = Date.now()): Date {
  try {
    return new Date(now - parseDurationMs(value));
  } catch {
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) throw new CliExitError(`--since: not a timestamp or duration: ${value}`, 2);
    return d;
  }
}
