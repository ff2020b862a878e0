import { DeliveryCursorParam, encodeDeliveryCursor } from '../../../src/operator/deliveryCursor';

describe('the delivery log cursor', () => {
  const position = { at: '2026-11-30T10:00:00.000123Z', id: 'dlv_abc123' };

  it('round-trips a position to the microsecond, in URL-safe characters', () => {
    const cursor = encodeDeliveryCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(DeliveryCursorParam.parse(cursor)).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a time without microseconds', Buffer.from(JSON.stringify(['2026-11-30T10:00:00.000Z', 'dlv_abc'])).toString('base64url')],
    ['an id of another kind', Buffer.from(JSON.stringify([position.at, 'evt_abc'])).toString('base64url')],
    ['extra members', Buffer.from(JSON.stringify([position.at, position.id, 1])).toString('base64url')],
    ['characters outside base64url', 'a/b+c='],
  ])('refuses %s with one message', (_what, cursor) => {
    const parsed = DeliveryCursorParam.safeParse(cursor);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.message)).toEqual(['must be the next_after of a previous page']);
  });
});
