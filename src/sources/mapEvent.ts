import { eventTypeInfo } from '../domain/eventTypes';
import { InboundEventSchema, type InboundEvent } from '../domain/inboundEvent';
import { resolvePointer } from './jsonPointer';
import type { SourceFailure, SourceMapping } from './sourceSchemas';

/**
 * A partner's body → Switchboard's inbound event, by the source's mapping: pointers, a name map,
 * a time format. No code runs; anything that does not fit is a failure naming its rule and
 * pointer (never an exception), so neither ingest nor the dry run can answer 5xx for a mapping.
 */
export type MappingOutcome =
  | { kind: 'event'; event: InboundEvent }
  | { kind: 'ignored'; reason: string; name: string }
  | { kind: 'rejected'; failure: SourceFailure };

/** A mapping refusal, thrown inside the stages below and caught once in mapEvent. */
class MappingRefusal extends Error {
  constructor(readonly failure: SourceFailure) {
    super(failure.message);
  }
}

function fail(rule: string, pointer: string | undefined, code: string, message: string): never {
  throw new MappingRefusal({ stage: 'mapping', code, rule, ...(pointer !== undefined ? { pointer } : {}), message: `${rule}: ${message}` });
}

/** Year 0001 to 9999: what PostgreSQL can store and toISOString writes plainly. */
const MIN_MS = -62_135_596_800_000;
const MAX_MS = 253_402_300_799_999;

function required(body: unknown, rule: string, pointer: string): unknown {
  const r = resolvePointer(body, pointer);
  if (!r.found) fail(rule, pointer, 'pointer_not_found', r.message);
  return r.value;
}

/** A present scalar as an identifier string; null / missing → undefined; anything else refused. */
function identifier(value: unknown, rule: string, pointer: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(rule, pointer, 'wrong_type', `expected a string or number, found ${Array.isArray(value) ? 'an array' : typeof value}`);
}

function optionalIdentifier(body: unknown, rule: string, pointer: string | undefined): string | undefined {
  if (pointer === undefined) return undefined;
  const r = resolvePointer(body, pointer);
  return r.found ? identifier(r.value, rule, pointer) : undefined;
}

/** occurred_at by time_format; absent pointer: the receipt time. */
function occurredAt(mapping: SourceMapping, body: unknown, receivedAtMs: number): string {
  const pointer = mapping.occurred_at;
  if (pointer === undefined) return new Date(receivedAtMs).toISOString();
  const value = required(body, 'occurred_at', pointer);
  if (mapping.time_format === 'iso8601') {
    if (typeof value !== 'string') fail('occurred_at', pointer, 'wrong_type', `expected an ISO 8601 string, found ${typeof value}`);
    return value;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,16}(?:\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) fail('occurred_at', pointer, 'wrong_type', `expected ${mapping.time_format} as a number, found ${JSON.stringify(value)?.slice(0, 80)}`);
  const ms = mapping.time_format === 'unix_s' ? n * 1000 : n;
  if (!(ms >= MIN_MS && ms <= MAX_MS)) fail('occurred_at', pointer, 'out_of_range', `${n} (${mapping.time_format}) is not between years 0001 and 9999`);
  return new Date(Math.floor(ms)).toISOString();
}

/** Request headers, names lower-cased (as Node gives them): what `event_header` reads. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** The event name from its header (`event_header`): present and non-empty, or a refusal naming the header. */
function headerEventName(name: string, headers: RequestHeaders): string {
  const value = headers[name.toLowerCase()];
  if (value === undefined) throw new MappingRefusal({ stage: 'mapping', code: 'header_not_found', rule: 'event', header: name, message: `event: no ${name} header` });
  if (value.trim() === '') throw new MappingRefusal({ stage: 'mapping', code: 'wrong_type', rule: 'event', header: name, message: `event: the ${name} header is empty` });
  return value.trim();
}

/** The event name as sent: from the body pointer `event`, or from the header `event_header`. */
function rawEventName(mapping: SourceMapping, body: unknown, headers: RequestHeaders): string {
  if (mapping.event_header !== undefined) return headerEventName(mapping.event_header, headers);
  const pointer = mapping.event ?? '';
  const value = required(body, 'event', pointer);
  if (typeof value !== 'string' || value === '') fail('event', pointer, 'wrong_type', `expected a non-empty string, found ${JSON.stringify(value)?.slice(0, 80)}`);
  return value;
}

/** The partner's event name → a catalog type; unknown names are refused or ignored per the source. */
function eventName(mapping: SourceMapping, body: unknown, headers: RequestHeaders): { type: string } | { ignored: string } {
  const value = rawEventName(mapping, body, headers);
  const names = mapping.event_names ?? {};
  const mapped = Object.prototype.hasOwnProperty.call(names, value) ? names[value] : undefined;
  if (mapped) return { type: mapped };
  if (eventTypeInfo(value) && !value.startsWith('switchboard.')) return { type: value };
  if (mapping.unknown_events === 'ignore') return { ignored: value };
  const message = `${JSON.stringify(value.slice(0, 200))} is neither in event_names nor a catalog event type`;
  if (mapping.event_header !== undefined) throw new MappingRefusal({ stage: 'mapping', code: 'unknown_event', rule: 'event', header: mapping.event_header, message: `event: ${message}` });
  return fail('event', mapping.event, 'unknown_event', message);
}

function runtimeVars(mapping: SourceMapping, body: unknown): Record<string, unknown> | undefined {
  if (!mapping.runtime_vars) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, pointer] of Object.entries(mapping.runtime_vars)) {
    const r = resolvePointer(body, pointer);
    if (r.found && r.value !== null) out[name] = typeof r.value === 'number' ? String(r.value) : r.value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function dataOf(mapping: SourceMapping, body: unknown): Record<string, unknown> {
  const r = resolvePointer(body, mapping.data);
  if (!r.found || r.value === null) return {};
  return typeof r.value === 'object' && !Array.isArray(r.value) ? (r.value as Record<string, unknown>) : { value: r.value };
}

/** The candidate event, then the very schema the default route validates with (422 rules alike). */
function validate(candidate: Record<string, unknown>): MappingOutcome {
  const parsed = InboundEventSchema.safeParse(candidate);
  if (parsed.success) return { kind: 'event', event: parsed.data };
  const details = parsed.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(event)', message: i.message }));
  return {
    kind: 'rejected',
    failure: { stage: 'event', code: 'invalid_event', rule: details[0]!.field, message: `mapped event is invalid: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}` },
  };
}

export function mapEvent(mapping: SourceMapping, body: unknown, receivedAtMs: number, headers: RequestHeaders = {}): MappingOutcome {
  try {
    const name = eventName(mapping, body, headers);
    if ('ignored' in name) return { kind: 'ignored', name: name.ignored, reason: `event ${JSON.stringify(name.ignored.slice(0, 200))} is not one this source takes (unknown_events: ignore)` };
    const callId = identifier(required(body, 'call_id', mapping.call_id), 'call_id', mapping.call_id);
    if (callId === undefined) fail('call_id', mapping.call_id, 'wrong_type', 'is null');
    const candidate: Record<string, unknown> = {
      event: name.type,
      call_id: callId,
      occurred_at: occurredAt(mapping, body, receivedAtMs),
      tenant_id: optionalIdentifier(body, 'tenant_id', mapping.tenant_id),
      voice_session_id: optionalIdentifier(body, 'voice_session_id', mapping.voice_session_id),
      runtime_vars: runtimeVars(mapping, body),
      data: dataOf(mapping, body),
    };
    for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key];
    return validate(candidate);
  } catch (err) {
    if (err instanceof MappingRefusal) return { kind: 'rejected', failure: err.failure };
    throw err;
  }
}
