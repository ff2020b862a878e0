import { readFileSync, writeFileSync } from 'node:fs';

function statusKb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number {
  if (!pid) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Peak resident set (VmHWM) since start or since the last resetPeakRss, in MB. */
export function peakRssMb(pid: number | undefined): number {
  return Math.round(statusKb(pid, 'VmHWM') / 1024);
}

export function rssMb(pid: number | undefined): number {
  return Math.round(statusKb(pid, 'VmRSS') / 1024);
}

/**
 * Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (`clear_refs` = 5, Linux 4.0+), so
 * a phase's peak is its own and not the highest of everything before it. False if not allowed.
 */
export function resetPeakRss(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
