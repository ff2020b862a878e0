import { z } from 'zod';

/** Building blocks shared by the tenancy wire schemas. */

/** Postgres text cannot hold NUL: refuse it here as a 422 naming the field, not a 500 from the insert. */
export const Text = () => z.string().refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
export const Name = Text().trim().min(1).max(200);
export const Identifier = Text().min(1).max(256);
export const ResourceId = Text().min(1).max(64);
export const Timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'Page size (default 100, max 500)' }),
  after: ResourceId.optional().meta({ description: 'Cursor: the last id of the previous page' }),
});

export const GraceBody = z.strictObject({
  grace_period_seconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional()
    .meta({ description: 'How long the previous secret stays valid (default SECRET_ROTATION_GRACE, 24 h)' }),
});

export function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export function page<T extends { id: string }>(rows: T[], limit: number): { data: T[]; next_after: string | null } {
  const data = rows.slice(0, limit);
  return { data, next_after: rows.length > limit ? data[data.length - 1]!.id : null };
}

export const PageMeta = { next_after: z.string().nullable().meta({ description: 'Pass as `after` to get the next page; null on the last' }) };
