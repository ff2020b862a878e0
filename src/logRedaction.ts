/** What a censored value is replaced with. */
export const CENSOR = '[redacted]';

/**
 * Field names whose values are credentials wherever they appear in a log line: request headers
 * (`authorization`, both signature headers), a partner's or endpoint's secrets, and an endpoint's
 * delivery options (src/delivery/deliveryAuth.ts). `key` alone is too common a name to censor; it
 * is censored under `auth`, where it is an API key.
 */
const SECRET_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'secret',
  'api_key',
  'x-api-key',
  'inbound_secret',
  'webhook-signature',
  'x-signature',
  'password',
  'client_secret',
  'token',
  'access_token',
  'delivery_auth_sealed',
]);

/** How deep a log line is searched: `body.auth.client_secret` is three levels down. */
const MAX_DEPTH = 4;

function isSecret(name: string, parent: string | undefined): boolean {
  return SECRET_NAMES.has(name.toLowerCase()) || (name === 'key' && parent === 'auth');
}

/** Objects that serialise themselves (Date, Buffer, URL) are not searched: their fields are not printed. */
function searchable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/**
 * `value` with every secret-named field below it censored, or `value` itself when none is: a log
 * line of plain fields (the common case) costs one walk over its keys and no copy. Never mutates
 * what the caller logged; a changed object comes back as a plain copy of its own enumerable
 * fields, which is all JSON prints of it anyway.
 */
function censorBelow(value: unknown, name: string | undefined, depth: number): unknown {
  if (depth >= MAX_DEPTH || !searchable(value)) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const key of Object.keys(value)) {
    if (depth === 0 && key === 'err') continue; // the line's error: censored by its serializer
    const child = value[key];
    const censored = isSecret(key, name) ? CENSOR : censorBelow(child, key, depth + 1);
    if (censored === child) continue;
    copy ??= Array.isArray(value) ? value.slice() : { ...value };
    (copy as Record<string, unknown>)[key] = censored;
  }
  return copy ?? value;
}

/**
 * The logger's safety net (pino `formatters.log`): a line that carries a credential by mistake
 * prints it censored. Replaces pino's path-based `redact`, whose wildcard paths re-walked every
 * field of every line (about 60 µs a line, 2026-12-01: 8 % of an ingest request's CPU). `err` is
 * left to its serializer, which censors the serialized error (`censorSerializedError`).
 */
export function censorLogLine(line: Record<string, unknown>): Record<string, unknown> {
  return censorBelow(line, undefined, 0) as Record<string, unknown>;
}

/**
 * An error after pino's serializer: a fresh object for an Error (so censored in place, keeping its
 * shape), anything else as logged (so copied, like any other field).
 */
export function censorSerializedError(logged: unknown, serialized: unknown): unknown {
  if (serialized === logged || !searchable(serialized)) return censorBelow(serialized, 'err', 1);
  for (const key of Object.keys(serialized)) {
    const child = serialized[key];
    const censored = isSecret(key, 'err') ? CENSOR : censorBelow(child, key, 1);
    if (censored !== child) serialized[key] = censored;
  }
  return serialized;
}
