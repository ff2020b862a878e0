import { z } from 'zod';

/** Building blocks shared by the tenancy wire schemas. */

/**
 * Postgres text cannot hold NUL: refuse it here as a 422 naming the field, not a 500 from the
 * insert. A pattern rather than a refinement, so the rule is in the OpenAPI document too.
 */
// eslint-disable-next-line no-control-regex -- refusing NUL is the point of this pattern
export const Text = () => z.string().regex(/^[^\u0000]*$/, 'must not contain NUL characters');
/** What String.prototype.trim removes, spelled out so every regex engine reading the document agrees. */
const SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** Not blank; surrounding whitespace is trimmed (after the length check, so the document's maxLength holds). */
export const Name = z
  .string()
  .max(200)
  // Leading spaces, then the first other character: unambiguous, so matching stays linear.
  .regex(new RegExp(`^[${SPACE}]*[^${SPACE}\\u0000][^\\u0000]*$`), 'must not be blank or contain NUL characters')
  .trim();
export const Identifier = Text().min(1).max(256);
export const Timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

/**
 * The http(s) URLs Switchboard accepts, as one pattern that the server and the OpenAPI document
 * share, so "a valid URI" means the same to a client, a fuzzer and the server: RFC 3986
 * characters only (no NUL, space or raw non-ASCII; valid percent-escapes), a host that is a
 * name or a dotted IPv4 address (what WHATWG URL parsing accepts as such: a name's last label is
 * not a number), an optional port up to 65535, and no `user:password@` (credentials do not belong
 * in an endpoint URL).
 */
const HOST_CHAR = "[A-Za-z0-9\\-_~!$&'()*+,;=]";
const HOST_NON_DIGIT = "[A-Za-z\\-_~!$&'()*+,;=]";
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
// Each part unambiguous (the last label: its digits, then its first non-digit), so matching stays linear.
const HOST = `(?:(?:${OCTET}\\.){3}${OCTET}|(?:${HOST_CHAR}+\\.)*[0-9]*${HOST_NON_DIGIT}${HOST_CHAR}*)`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?';
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
const HTTP_URL = new RegExp(`^https?://${HOST}${PORT}(?:/${PCHAR}*)*(?:\\?(?:${PCHAR}|[/?])*)?(?:#(?:${PCHAR}|[/?])*)?$`);

/** An absolute http(s) URL (`format: uri`); where it may point is checked by the route (SSRF rules). */
export const HttpUrl = z
  .string()
  .max(2048, { abort: true })
  .regex(HTTP_URL, { error: 'must be an absolute http(s) URL: RFC 3986 characters, a host name or IPv4 address, no user:password@', abort: true })
  .refine((url) => URL.canParse(url), 'must be an absolute http(s) URL')
  // The pattern says what the server takes; `format` says what kind of string it is.
  .meta({ format: 'uri' });

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

/**
 * A page from `limit + 1` rows (the extra one says a next page exists); its cursor is the last
 * row's id, or what `cursorOf` makes of that row where the order is not by id.
 */
export function page<T extends { id: string }>(rows: T[], limit: number, cursorOf: (last: T) => string = (last) => last.id): { data: T[]; next_after: string | null } {
  const data = rows.slice(0, limit);
  return { data, next_after: rows.length > limit ? cursorOf(data[data.length - 1]!) : null };
}

export const PageMeta = { next_after: z.string().nullable().meta({ description: 'Pass as `after` to get the next page; null on the last' }) };
