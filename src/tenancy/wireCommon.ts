import { z } from 'zod';

/** Building blocks shared by the tenancy wire schemas. */

/**
 * Postgres text cannot hold NUL: refuse it here as a 422 naming the field, not a 500 from the
 * insert. A pattern rather than a refinement, so the rule is in the OpenAPI document too.
 */
export const Text = () => z.string().regex(/^[^\u0000]*$/, 'must not contain NUL characters');
/** What String.prototype.trim removes, spelled out so every regex engine reading the document agrees. */
const SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** Not blank; surrounding whitespace is trimmed (after the length check, so the document's maxLength holds). */
export const Name = z
  .string()
  .max(200)
  .regex(new RegExp(`^[^\\u0000]*[^${SPACE}\\u0000][^\\u0000]*$`), 'must not be blank or contain NUL characters')
  .trim();
export const Identifier = Text().min(1).max(256);
export const Timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

/** An absolute http(s) URL (`format: uri`); where it may point is checked by the route (SSRF rules). */
export const HttpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
  .max(2048)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .meta({ pattern: '^https?://' });

/** Page size and cursor of a list; `after` is an id of the listed kind. */
export function listQuery(after: z.ZodString) {
  return z.strictObject({
    limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'Page size (default 100, max 500)' }),
    after: after.optional().meta({ description: 'Cursor: the last id of the previous page (`next_after`)' }),
  });
}

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
