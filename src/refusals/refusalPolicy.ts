import type { AppError } from '../errors';

/**
 * Which refusals of the default ingest route a partner is shown, and what of each is kept.
 *
 * Kept: the refusals a partner can act on once the URL names one of its own partners: 400/422
 * (the body is not JSON or not an event), 401 (bad signature, stale timestamp, missing headers:
 * the usual "we rotated the secret" mistake), 413 (too large), 415 (wrong content type) and 429
 * (over its rate). Not kept: 404 (an unknown partner has nobody to be shown to, and its id space
 * is anyone's to fill) and 503 (shed or unavailable: the service's state, not the partner's
 * mistake; it is logged, counted and retried by the partner).
 *
 * Nothing of a refused body is kept: for a 401 it is not even known to be the partner's.
 */
const SHOWN_STATUSES = new Set([400, 401, 413, 415, 422, 429]); // and ListIngestRefusalsQuery.status

/** Reasons of refusals that happen before the URL is known to name a partner at all. */
const UNIDENTIFIED_REASONS = new Set(['invalid_partner_id']);

export const MAX_TEXT = 500;
export const MAX_ID = 200;

export function isShownToPartner(err: AppError, reason: string): boolean {
  return SHOWN_STATUSES.has(err.status) && !UNIDENTIFIED_REASONS.has(reason);
}

/** Text of unknown origin, cut to a size and made storable (Postgres text holds no NUL). */
export function clipped(value: unknown, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  // eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres text cannot hold
  const text = value.replace(/\u0000/g, '\uFFFD');
  // Cut on code points, so no lone surrogate is left at the end.
  const points = Array.from(text);
  return points.length > max ? `${points.slice(0, max - 1).join('')}…` : text;
}
