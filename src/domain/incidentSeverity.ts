/**
 * When a reconciliation mismatch becomes an incident, and how bad it is. Pure rules, unit tested.
 */
export type IncidentSeverity = 'warning' | 'major' | 'critical';

export interface MismatchAssessment {
  ratio: number;
  exceeds: boolean;
  severity: IncidentSeverity;
}

/**
 * `missing / terminal` against the threshold (strictly greater raises). Severity scales with how
 * far past the threshold the ratio is: up to 5x is a warning, up to 20x (or a tenth of all calls)
 * major, beyond that critical.
 */
export function assessMismatch(terminal: number, missing: number, threshold: number): MismatchAssessment {
  const ratio = terminal === 0 ? 0 : missing / terminal;
  const exceeds = terminal > 0 && ratio > threshold;
  const scale = threshold > 0 ? ratio / threshold : Number.POSITIVE_INFINITY;
  const severity: IncidentSeverity = ratio >= 0.5 || scale > 20 ? 'critical' : ratio >= 0.1 || scale > 5 ? 'major' : 'warning';
  return { ratio, exceeds, severity };
}
