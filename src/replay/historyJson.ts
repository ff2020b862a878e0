import path from 'node:path';
import { temporal } from '@temporalio/proto';

/**
 * Reads a workflow history from JSON, in either shape an engineer has at hand:
 *
 * - proto3 JSON, as written by `temporal workflow show --output json` (or the Web UI's
 *   download): enum names, int64 as strings, durations like "10s", RFC 3339 times, base64 bytes;
 *   also the PascalCase enum spelling older tools write, and "shorthand" payloads (plain JSON
 *   values instead of {metadata, data}, what the CLI prints without --no-json-shorthand-payloads);
 * - protobufjs's object form, used by test/histories/*.json.
 *
 * Why not the SDK's historyFromJSON: in this install @temporalio/common and @temporalio/proto
 * each get their own protobufjs copy, and historyFromJSON hands a Type from one copy to the
 * protojson decoder of the other ("type must be a Type"). We load protojson from the copy that
 * @temporalio/proto itself uses, so the Type and the decoder always match.
 */
const History = temporal.api.history.v1.History;
export type HistoryMessage = temporal.api.history.v1.History;

interface ProtoJson {
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

let protojson: ProtoJson | undefined;
function loadProtoJson(): ProtoJson {
  const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- protojson is resolved at run time from the protobufjs copy @temporalio/proto uses, which has no import path of its own
  protojson ??= require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as ProtoJson;
  return protojson;
}

export class HistoryFormatError extends Error {
  override name = 'HistoryFormatError';
}

const ENUM_FIELDS: Record<string, string> = {
  eventType: 'EVENT_TYPE',
  kind: 'TASK_QUEUE_KIND',
  parentClosePolicy: 'PARENT_CLOSE_POLICY',
  workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY',
  workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY',
  initiator: 'CONTINUE_AS_NEW_INITIATOR',
  retryState: 'RETRY_STATE',
  cause: '', // several enum types; left as written
  timeoutType: 'TIMEOUT_TYPE',
};

function pascalToConstant(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function isPayloadObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && ('metadata' in v || 'data' in v);
}

/** A shorthand payload (a plain JSON value) back to a json/plain Payload in proto3 JSON. */
function fromShorthand(v: unknown): unknown {
  if (isPayloadObject(v)) return v;
  return {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from(JSON.stringify(v)).toString('base64'),
  };
}

/** Fields holding a Payload / Payloads / map<string, Payload> in the history protos. */
const PAYLOADS_FIELDS = new Set(['input', 'result', 'details', 'lastCompletionResult', 'heartbeatDetails', 'encodedAttributes']);
const PAYLOAD_MAP_FIELDS = new Set(['fields', 'indexedFields']);

function normalise(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => normalise(n));
  if (typeof node !== 'object' || node === null) {
    if (typeof node === 'string' && key && key in ENUM_FIELDS) {
      const prefix = ENUM_FIELDS[key]!;
      if (prefix && !node.startsWith(prefix) && /^[A-Z][A-Za-z]+$/.test(node)) return `${prefix}_${pascalToConstant(node)}`;
    }
    return node;
  }
  const obj = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'payloads' && Array.isArray(v)) out[k] = v.map(fromShorthand);
    else if (PAYLOAD_MAP_FIELDS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([mk, mv]) => [mk, fromShorthand(mv)]));
    } else if (PAYLOADS_FIELDS.has(k) && Array.isArray(v)) {
      // A Payloads field written as a bare list of values by shorthand output.
      out[k] = { payloads: v.map(fromShorthand) };
    } else if (k === 'userMetadata' && v && typeof v === 'object') {
      // summary / details are single Payloads; shorthand prints them as plain strings.
      const meta = v as Record<string, unknown>;
      out[k] = Object.fromEntries(Object.entries(meta).map(([mk, mv]) => [mk, fromShorthand(mv)]));
    } else out[k] = normalise(v, k);
  }
  return out;
}

/** True for proto3 JSON (times as strings); protobufjs's object form has {seconds, nanos}. */
function looksLikeProto3Json(events: unknown[]): boolean {
  const first = events[0] as Record<string, unknown> | undefined;
  return typeof first?.['eventTime'] === 'string';
}

export function decodeHistoryJson(text: string, source = 'history'): HistoryMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HistoryFormatError(`${source}: not JSON (${(err as Error).message})`);
  }
  // `temporal workflow show -o json` prints {events: [...]}; some tools wrap it as {history: {...}}.
  const root = (parsed as { history?: unknown })?.history ?? parsed;
  const events = (root as { events?: unknown })?.events;
  if (!Array.isArray(events) || events.length === 0) throw new HistoryFormatError(`${source}: expected an object with a non-empty "events" array`);
  try {
    if (looksLikeProto3Json(events)) {
      return loadProtoJson().fromJson(History, normalise({ events }), { ignoreUnknownFields: true }) as HistoryMessage;
    }
    return History.fromObject({ events } as Record<string, unknown>);
  } catch (err) {
    throw new HistoryFormatError(`${source}: not a Temporal history (${(err as Error).message})`);
  }
}

/** The workflow id recorded in a history's first event, when present. */
export function workflowIdOf(history: HistoryMessage): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? undefined;
}
