import { z } from 'zod';

/**
 * An ISO 8601 date-time that PostgreSQL's timestamptz can store. ISO allows (and zod's date-time
 * takes) UTC offsets up to ±23:59 and the year 0000; Postgres refuses offsets from ±16:00 on and
 * has no year 0, so such a value would fail at the INSERT, a 5xx (a 503 the partner retries
 * forever, on ingest) instead of the 422 it is. A pattern rather than a refinement, so the OpenAPI
 * document says it too.
 */
const STORABLE = /^(?!0000)\d{4}-.*(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)$/;

export function storableTimestamp(options: { offset: boolean } = { offset: true }) {
  return z.iso
    .datetime({ offset: options.offset, error: 'must be an ISO 8601 date-time' })
    .regex(STORABLE, 'must be a date-time PostgreSQL can store: year 0001 or later, UTC offset within ±15:59')
    // zod drops the format once a string has two patterns; the document keeps saying it.
    .meta({ format: 'date-time' });
}
