import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { decodeHistoryJson, HistoryFormatError, workflowIdOf } from '../../src/replay/historyJson';
import { parseSince } from '../../src/cli/options';

const History = temporal.api.history.v1.History;
const fixture = readFileSync(path.join(__dirname, '..', 'histories', 'event-delivered.json'), 'utf8');
// protojson from the protobufjs copy @temporalio/proto uses: produces what `temporal workflow show -o json` writes.
const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the protobufjs copy @temporalio/proto uses is found with require.resolve, as in src/replay/historyJson.ts
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as { toJson(t: unknown, m: unknown): unknown };

describe('decodeHistoryJson', () => {
  const stored = decodeHistoryJson(fixture);
  const proto3 = protojson.toJson(History, stored) as { events: Array<Record<string, unknown>> };

  it('reads the object form of test/histories and proto3 JSON to the same history', () => {
    expect(typeof proto3.events[0]!['eventTime']).toBe('string');
    const fromProto3 = decodeHistoryJson(JSON.stringify(proto3));
    expect(History.toObject(fromProto3, { longs: String, enums: String })).toEqual(History.toObject(stored, { longs: String, enums: String }));
    expect(workflowIdOf(fromProto3)).toMatch(/:call\.ended$/);
  });

  it('accepts PascalCase enums and shorthand payloads (plain JSON values)', () => {
    const started = structuredClone(proto3.events[0]!) as Record<string, any>;
    const input = started['workflowExecutionStartedEventAttributes'].input.payloads[0];
    const value = JSON.parse(Buffer.from(input.data, 'base64').toString()) as unknown;
    started['eventType'] = 'WorkflowExecutionStarted';
    started['workflowExecutionStartedEventAttributes'].input = [value];
    started['userMetadata'] = { summary: 'call.ended for call x' };
    const decoded = decodeHistoryJson(JSON.stringify({ events: [started, ...proto3.events.slice(1)] }));
    const attrs = decoded.events![0]!.workflowExecutionStartedEventAttributes!;
    expect(decoded.events![0]!.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    expect(JSON.parse(Buffer.from(attrs.input!.payloads![0]!.data!).toString())).toEqual(value);
    expect(Buffer.from(attrs.input!.payloads![0]!.metadata!['encoding']!).toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.events![0]!.userMetadata!.summary!.data!).toString())).toBe('call.ended for call x');
  });

  it('names what is wrong with a file that is not a history', () => {
    expect(() => decodeHistoryJson('nope', 'h.json')).toThrow(new HistoryFormatError('h.json: not JSON (Unexpected token \'o\', "nope" is not valid JSON)'));
    expect(() => decodeHistoryJson('{"events": []}', 'h.json')).toThrow(/h.json: expected an object with a non-empty "events" array/);
    expect(() => decodeHistoryJson('{"events": [{"eventTime": "x", "eventType": 7}]}', 'h.json')).toThrow(/h.json: not a Temporal history/);
  });
});

describe('parseSince', () => {
  it('takes a look-back duration or an ISO timestamp', () => {
    const now = Date.parse('2025-05-10T12:00:00Z');
    expect(parseSince('24h', now).toISOString()).toBe('2025-05-09T12:00:00.000Z');
    expect(parseSince('2025-05-01T00:00:00Z', now).toISOString()).toBe('2025-05-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow('--since: not a timestamp or duration: yesterday');
  });
});
