import type { AppError } from '../../errors';
import { InboundEventSchema } from '../../domain/inboundEvent';
import { ipAllowed } from '../../sources/ipAllowlist';
import { mapEvent, type MappingOutcome, type RequestHeaders } from '../../sources/mapEvent';
import type { SourceFailure } from '../../sources/sourceSchemas';
import type { Source } from '../../sources/sources';
import { formPairs } from '../../sources/verifiers/twilio';
import { isJsonContentType } from '../body/jsonContentType';
import { parseStrictJson } from '../body/strictJson';
import { IpNotAllowedError, SourceMediaTypeError } from './sourceRefusals';

/**
 * The checks of a request through a source, as pure steps shared by ingest and the dry run, so
 * the dry run answers exactly what ingest would do. Each returns a failure (with the error
 * ingest answers) or its value; none throws for any input.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; failure: SourceFailure; error: AppError };

const FORM = 'application/x-www-form-urlencoded';

function isFormContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(';');
  if (type!.trim().toLowerCase() !== FORM) return false;
  return params.every((p) => !/^\s*charset\s*=/i.test(p) || /^\s*charset\s*=\s*"?utf-?8"?\s*$/i.test(p));
}

/** JSON (UTF-8) for every scheme but twilio, which posts form-encoded bodies. */
export function checkContentType(source: Source, contentType: string | undefined): Checked<null> {
  const form = source.verification.scheme === 'twilio';
  if (form ? isFormContentType(contentType) : isJsonContentType(contentType)) return { ok: true, value: null };
  const wanted = form ? `${FORM} (the twilio scheme)` : 'application/json (UTF-8)';
  const message = `content-type ${JSON.stringify(contentType ?? '')} is not accepted by this source: send ${wanted}`;
  return { ok: false, failure: { stage: 'content_type', code: 'unsupported_media_type', message }, error: new SourceMediaTypeError(message) };
}

export function checkIp(source: Source, ip: string | undefined): Checked<null> {
  const verdict = ipAllowed(source.ipAllowlist, ip);
  if (verdict.allowed) return { ok: true, value: null };
  return { ok: false, failure: { stage: 'ip_allowlist', code: 'ip_not_allowed', message: verdict.reason }, error: new IpNotAllowedError(verdict.reason) };
}

/** The form's params as one JSON object (a repeated name becomes an array), for the mapping. */
function formObject(body: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of formPairs(body)) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

/** The body read strictly (JSON: the default route's reader; twilio: the form params). */
export function readSourceBody(source: Source, body: Buffer): Checked<{ value: unknown; text: string }> {
  if (source.verification.scheme === 'twilio') return { ok: true, value: { value: formObject(body), text: body.toString('utf8') } };
  try {
    return { ok: true, value: parseStrictJson(body) };
  } catch (err) {
    const e = err as AppError & { reason?: string };
    return { ok: false, failure: { stage: 'body', code: e.reason ?? e.code, message: e.message }, error: e };
  }
}

/**
 * The body → the event: the source's mapping (which may read the event name from a header), or
 * (no mapping) the body is already an inbound event.
 */
export function normalise(source: Source, value: unknown, nowMs: number, headers: RequestHeaders): MappingOutcome {
  if (source.mapping) return mapEvent(source.mapping, value, nowMs, headers);
  const parsed = InboundEventSchema.safeParse(value);
  if (parsed.success) return { kind: 'event', event: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`);
  const first = parsed.error.issues[0]!;
  return {
    kind: 'rejected',
    failure: { stage: 'event', code: 'invalid_event', rule: first.path.length ? first.path.join('.') : '(body)', message: `invalid event: ${issues.join('; ')}` },
  };
}
