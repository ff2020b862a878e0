import {
  endpointWorkflowId,
  eventWorkflowId,
  parseWorkflowId,
  redriveWorkflowId,
  releaseWorkflowId,
} from '../../../src/domain/workflowIds';

const EVENT = eventWorkflowId('ptn_1', 'call:with:colons', 'call.ended');
const ENDPOINT = 'ep_0abc123-XYZ_9';

describe('workflow ids', () => {
  it('builds every form from its parent', () => {
    expect(EVENT).toBe('ptn_1:call:with:colons:call.ended');
    expect(releaseWorkflowId(EVENT)).toBe(`${EVENT}:release`);
    expect(endpointWorkflowId(EVENT, ENDPOINT)).toBe(`${EVENT}:${ENDPOINT}`);
    expect(redriveWorkflowId(endpointWorkflowId(EVENT, ENDPOINT), 1)).toBe(`${EVENT}:${ENDPOINT}:redrive:1`);
  });

  it('counts a redrive of a redrive from the original delivery id', () => {
    const first = redriveWorkflowId(endpointWorkflowId(EVENT, ENDPOINT), 1);
    expect(redriveWorkflowId(first, 2)).toBe(`${EVENT}:${ENDPOINT}:redrive:2`);
  });

  it.each([
    ['event', EVENT, { kind: 'event', eventWorkflowId: EVENT }],
    ['release', releaseWorkflowId(EVENT), { kind: 'release', eventWorkflowId: EVENT }],
    [
      'per endpoint',
      endpointWorkflowId(EVENT, ENDPOINT),
      { kind: 'endpoint', eventWorkflowId: EVENT, released: false, endpointId: ENDPOINT, deliveryWorkflowId: endpointWorkflowId(EVENT, ENDPOINT) },
    ],
    [
      'per endpoint of a release',
      endpointWorkflowId(releaseWorkflowId(EVENT), ENDPOINT),
      { kind: 'endpoint', eventWorkflowId: EVENT, released: true, endpointId: ENDPOINT, deliveryWorkflowId: endpointWorkflowId(releaseWorkflowId(EVENT), ENDPOINT) },
    ],
    [
      'redrive',
      redriveWorkflowId(endpointWorkflowId(EVENT, ENDPOINT), 3),
      { kind: 'redrive', eventWorkflowId: EVENT, released: false, endpointId: ENDPOINT, deliveryWorkflowId: endpointWorkflowId(EVENT, ENDPOINT), redriveCount: 3 },
    ],
  ])('parses the %s form back', (_form, id, parsed) => {
    expect(parseWorkflowId(id)).toEqual(parsed);
  });

  it('reads an event type that merely contains "release" as an event id', () => {
    const id = eventWorkflowId('ptn_1', 'c1', 'release.notes');
    expect(parseWorkflowId(id)).toEqual({ kind: 'event', eventWorkflowId: id });
  });
});
