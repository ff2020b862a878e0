import { resolvePointer } from '../../../src/sources/jsonPointer';
import { mapEvent } from '../../../src/sources/mapEvent';
import { SourceMapping } from '../../../src/sources/sourceSchemas';

const mapping = (m: Record<string, unknown>) => SourceMapping.parse(m);

describe('JSON Pointer (RFC 6901)', () => {
  // The examples of RFC 6901 section 5.
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
  it.each([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ])('%j', (pointer, value) => expect(resolvePointer(doc, pointer)).toEqual({ found: true, value }));

  it('names the token that found nothing', () => {
    expect(resolvePointer(doc, '/foo/2')).toMatchObject({ found: false, at: '/foo/2' });
    expect(resolvePointer(doc, '/foo/01')).toMatchObject({ found: false });
    expect(resolvePointer(doc, '/foo/0/x')).toMatchObject({ found: false, at: '/foo/0/x' });
    expect(resolvePointer({ a: 1 }, '/constructor')).toMatchObject({ found: false });
  });
});

describe('mapEvent', () => {
  const base = { event: '/t', call_id: '/id' };
  it('time formats: unix_s, unix_ms (numbers or digit strings), iso8601; out of range is refused', () => {
    expect(mapEvent(mapping({ ...base, occurred_at: '/at', time_format: 'unix_s' }), { t: 'call.ended', id: 1, at: 1686089970 }, 0)).toMatchObject({ kind: 'event', event: { occurred_at: '2023-06-06T22:19:30.000Z', call_id: '1' } });
    expect(mapEvent(mapping({ ...base, occurred_at: '/at', time_format: 'unix_ms' }), { t: 'call.ended', id: 'c', at: '1686089970123' }, 0)).toMatchObject({ kind: 'event', event: { occurred_at: '2023-06-06T22:19:30.123Z' } });
    expect(mapEvent(mapping({ ...base, occurred_at: '/at', time_format: 'unix_s' }), { t: 'call.ended', id: 'c', at: 1e300 }, 0)).toMatchObject({ kind: 'rejected', failure: { rule: 'occurred_at', code: 'out_of_range' } });
    expect(mapEvent(mapping({ ...base, occurred_at: '/at' }), { t: 'call.ended', id: 'c', at: 'soon' }, 0)).toMatchObject({ kind: 'rejected', failure: { stage: 'event', rule: 'occurred_at' } });
  });

  it('event names: mapped, catalog names pass through, unknown refused or ignored; prototype keys are not names', () => {
    const m = { ...base, event_names: { hangup: 'call.ended' } };
    expect(mapEvent(mapping(m), { t: 'hangup', id: 'c' }, 0)).toMatchObject({ kind: 'event', event: { event: 'call.ended' } });
    expect(mapEvent(mapping(m), { t: 'call.started', id: 'c' }, 0)).toMatchObject({ kind: 'event', event: { event: 'call.started' } });
    expect(mapEvent(mapping(m), { t: 'toString', id: 'c' }, 0)).toMatchObject({ kind: 'rejected', failure: { code: 'unknown_event' } });
    expect(mapEvent(mapping(m), { t: 'switchboard.test', id: 'c' }, 0)).toMatchObject({ kind: 'rejected', failure: { code: 'unknown_event' } });
    expect(mapEvent(mapping({ ...m, unknown_events: 'ignore' }), { t: 'ringing', id: 'c' }, 0)).toMatchObject({ kind: 'ignored', name: 'ringing' });
  });

  it('wrong types and missing values name their rule and pointer', () => {
    expect(mapEvent(mapping(base), { t: 'call.ended', id: { x: 1 } }, 0)).toMatchObject({ kind: 'rejected', failure: { rule: 'call_id', pointer: '/id', code: 'wrong_type' } });
    expect(mapEvent(mapping(base), [1, 2], 0)).toMatchObject({ kind: 'rejected', failure: { rule: 'event', pointer: '/t', code: 'pointer_not_found' } });
    expect(mapEvent(mapping({ ...base, tenant_id: '/ten' }), { t: 'call.ended', id: 'c', ten: [1] }, 0)).toMatchObject({ kind: 'rejected', failure: { rule: 'tenant_id' } });
    expect(mapEvent(mapping({ ...base, data: '/d' }), { t: 'call.ended', id: 'c', d: 'text' }, 0)).toMatchObject({ kind: 'event', event: { data: { value: 'text' } } });
  });

  it('event_header: the event name from a request header (names case-insensitive), mapped and refused like a body name', () => {
    const byHeader = mapping({ event_header: 'X-GitHub-Event', call_id: '/id', event_names: { call_ended: 'call.ended' } });
    const body = { t: 'call.started', id: 'c' }; // a body name is not read
    expect(mapEvent(byHeader, body, 0, { 'x-github-event': 'call_ended' })).toMatchObject({ kind: 'event', event: { event: 'call.ended', call_id: 'c' } });
    expect(mapEvent(byHeader, body, 0, { 'x-github-event': ' call.failed ' })).toMatchObject({ kind: 'event', event: { event: 'call.failed' } });
    expect(mapEvent(byHeader, body, 0, {})).toMatchObject({ kind: 'rejected', failure: { rule: 'event', header: 'X-GitHub-Event', code: 'header_not_found' } });
    expect(mapEvent(byHeader, body, 0, { 'x-github-event': ' ' })).toMatchObject({ kind: 'rejected', failure: { header: 'X-GitHub-Event', code: 'wrong_type' } });
    expect(mapEvent(byHeader, body, 0, { 'x-github-event': 'push' })).toMatchObject({ kind: 'rejected', failure: { header: 'X-GitHub-Event', code: 'unknown_event' } });
    expect(mapEvent(mapping({ event_header: 'X-GitHub-Event', call_id: '/id', unknown_events: 'ignore' }), body, 0, { 'x-github-event': 'push' })).toMatchObject({ kind: 'ignored', name: 'push' });
  });

  it('the event name is in exactly one place: a body pointer or a header', () => {
    expect(SourceMapping.safeParse({ event: '/t', event_header: 'X-Event', call_id: '/id' }).success).toBe(false);
    expect(SourceMapping.safeParse({ call_id: '/id' }).success).toBe(false);
    expect(SourceMapping.safeParse({ event_header: 'not a header', call_id: '/id' }).success).toBe(false);
  });
});
