import { randomBytes } from 'node:crypto';
import type { InlineDeliverResult } from '../../activities/deliverWebhook';
import { FailureType, permanentFailure, retryableFailure } from '../../activities/failures';
import type { PlannedDelivery } from '../../activities/planDeliveries';
import type { FirstAttempt, RouteAndDeliverResult } from '../../activities/routeAndDeliver';
import { ApplicationFailure } from '@temporalio/common';
import type { DeliveryWorkflowInput, DeliveryWorkflowResult, EventPolicy, EventWorkflowInput, EventWorkflowResult } from '../../workflows/types';
import { startStubbedWorkflowWorker, type ActivityStubs, type StubbedWorkflowWorker } from '../support/stubbedWorkflowWorker';

/**
 * The event and delivery workflows' decisions with every activity stubbed (fast, no Postgres, no
 * HTTP), on the real Temporal dev server. The same paths run end to end, with real activities, in
 * deliveryRetries / deliveryInline / deliveryTenancy / deliveryEndpoints.test.ts; here each
 * decision is pinned down on its own: continuation kinds, the attempt budget left after the first
 * attempt, quarantine on conflict and on timeout, the dead letter.
 */

/** What one attempt at a delivery does, in order; an exhausted script delivers. */
type Step =
  | 'ok'
  | 'deferred'
  | { fail: 'retryable'; retryAfterMs?: number }
  | { fail: 'permanent' }
  | { wait: 'circuit_open' | 'rate_limited'; waitMs: number };

const FAIL: Step = { fail: 'retryable' };

/** Small intervals: every timer in these workflows is tens of milliseconds. */
const policy: EventPolicy = {
  retry: { maxAttempts: 4, initialIntervalMs: 20, backoffCoefficient: 3, maxIntervalMs: 100 },
  deliveryTimeoutMs: 2_000,
  tenantWaitMs: 300,
  tenantPollMs: 100,
};

const scripts = new Map<string, Step[]>();
/** attempt_count per delivery, as the real activity keeps it in Postgres. */
const attemptCounts = new Map<string, number>();
/** The routing step's resolution per event, in order; the last one repeats. */
type Resolution = Exclude<RouteAndDeliverResult, { outcome: 'routed' }> | { outcome: 'resolved'; tenantId: string };
const resolutions = new Map<string, Resolution[]>();
const plans = new Map<string, Array<Omit<PlannedDelivery, 'workflowId'>>>();

/** One attempt as the real deliverWebhook reports it: a result, or the ApplicationFailure it throws. */
function attempt(deliveryId: string, inline: boolean): InlineDeliverResult {
  const step = scripts.get(deliveryId)?.shift() ?? 'ok';
  if (step === 'deferred') {
    if (!inline) throw new Error('only the inline first attempt can be deferred');
    return { outcome: 'deferred' };
  }
  const count = attemptCounts.get(deliveryId) ?? 0;
  if (typeof step === 'object' && 'wait' in step) return { outcome: 'wait', reason: step.wait, waitMs: step.waitMs, attemptCount: count };
  attemptCounts.set(deliveryId, count + 1);
  const n = count + 1;
  if (step === 'ok') return { outcome: 'delivered', attempt: n, statusCode: 200 };
  if (step.fail === 'permanent') throw permanentFailure(FailureType.DeliveryRejected, 'endpoint answered 400', { attempt: n, status_code: 400, retry_after_ms: null });
  const retryAfterMs = step.retryAfterMs;
  throw retryableFailure(FailureType.DeliveryHttpError, 'endpoint answered 503', { attempt: n, status_code: 503, retry_after_ms: retryAfterMs ?? null }, retryAfterMs);
}

function planFor(input: { eventId: string; workflowIdPrefix: string }): PlannedDelivery[] {
  return (plans.get(input.eventId) ?? []).map((p) => ({ ...p, workflowId: `${input.workflowIdPrefix}:${p.endpointId}` }));
}

/** A first attempt inside the routing step, as the real one reports it: as data. */
const firstAttempt = jest.fn(({ deliveryId }: { deliveryId: string }): FirstAttempt => {
  try {
    const r = attempt(deliveryId, true);
    return r.outcome === 'wait' ? { outcome: 'wait', reason: r.reason, waitMs: r.waitMs } : { outcome: r.outcome };
  } catch (err) {
    const f = err as ApplicationFailure;
    const detail = f.details?.[0] as { attempt: number; retry_after_ms: number | null };
    return { outcome: 'failed', permanent: Boolean(f.nonRetryable), message: f.message, attempt: detail.attempt, retryAfterMs: detail.retry_after_ms ?? undefined };
  }
});

const stubs = {
  routeAndDeliver: jest.fn(async (input: { eventId: string; workflowIdPrefix: string }): Promise<RouteAndDeliverResult> => {
    const answers = resolutions.get(input.eventId) ?? [];
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    if (!answer) throw new Error(`no resolution scripted for ${input.eventId}`);
    if (answer.outcome !== 'resolved') return answer;
    const deliveries = planFor(input).map((p) => ({ ...p, first: p.status === 'delivered' ? ({ outcome: 'delivered' } as const) : firstAttempt({ deliveryId: p.deliveryId }) }));
    const settled = deliveries.every((d) => d.first.outcome === 'delivered') ? 'delivered' : null;
    return { outcome: 'routed', tenantId: answer.tenantId, deliveries, settled };
  }),
  planDeliveries: jest.fn(async (input: { eventId: string; workflowIdPrefix: string }) => planFor(input)),
  quarantineEvent: jest.fn(async () => undefined),
  recordCheckpoint: jest.fn(async () => undefined),
  settleEventStatus: jest.fn(async () => 'settled' as const),
  handOverDelivery: jest.fn(async () => undefined),
  markDeadLettered: jest.fn(async () => undefined),
  deliverWebhookInline: jest.fn(async ({ deliveryId }: { deliveryId: string }) => attempt(deliveryId, true)),
  deliverWebhook: jest.fn(async ({ deliveryId }: { deliveryId: string }) => attempt(deliveryId, false)),
};

let wf: StubbedWorkflowWorker;

beforeAll(async () => {
  wf = await startStubbedWorkflowWorker(stubs as unknown as Partial<ActivityStubs>);
});

afterAll(async () => {
  await wf?.close();
});

beforeEach(() => {
  jest.clearAllMocks();
});

/** A fresh event with these endpoints (each scripted), resolved to a tenant unless told otherwise. */
function anEvent(endpoints: Array<{ steps?: Step[]; maxAttempts?: number; status?: string }>, resolution?: Resolution[]) {
  const id = randomBytes(4).toString('hex');
  const eventId = `evt_${id}`;
  const planned = endpoints.map((e, i) => {
    const deliveryId = `dlv_${id}_${i}`;
    scripts.set(deliveryId, [...(e.steps ?? [])]);
    return { deliveryId, endpointId: `ep_${id}_${i}`, destination: 'hooks.example.test', maxAttempts: e.maxAttempts ?? null, status: e.status ?? 'pending' };
  });
  plans.set(eventId, planned);
  resolutions.set(eventId, resolution ?? [{ outcome: 'resolved', tenantId: 'ten_a' }]);
  const input: EventWorkflowInput = { eventId, partnerId: 'ptn_a', callId: `call-${id}`, eventType: 'call.ended', policy };
  return { input, planned };
}

async function runEvent(input: EventWorkflowInput) {
  const handle = await wf.start('eventWorkflow', 'event', [input]);
  const result = (await handle.result()) as EventWorkflowResult;
  return { result, childId: (endpointId: string) => `${handle.workflowId}:${endpointId}` };
}

const callsFor = (mock: jest.Mock, deliveryId: string) => mock.mock.calls.filter(([a]) => (a as { deliveryId: string }).deliveryId === deliveryId).length;

describe('eventWorkflow (stubbed activities)', () => {
  it('delivered at the first attempt: the routing step settles the event, with no further step, hand-over or child', async () => {
    const { input, planned } = anEvent([{}, {}]);
    const { result, childId } = await runEvent(input);
    expect(result).toMatchObject({ status: 'delivered', tenantId: 'ten_a' });
    expect(result.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(stubs.routeAndDeliver).toHaveBeenCalledTimes(1);
    expect(firstAttempt).toHaveBeenCalledTimes(2);
    expect(stubs.deliverWebhook).not.toHaveBeenCalled();
    expect(stubs.handOverDelivery).not.toHaveBeenCalled();
    expect(stubs.settleEventStatus).not.toHaveBeenCalled();
    expect(await wf.exists(childId(planned[0]!.endpointId))).toBe(false);
  });

  it('a deferred first attempt (the worker is at its inline bound) is made as a task-queue activity instead', async () => {
    const { input, planned } = anEvent([{ steps: ['deferred', 'ok'] }]);
    const { result } = await runEvent(input);
    expect(result.deliveries[0]!.status).toBe('delivered');
    expect(callsFor(firstAttempt, planned[0]!.deliveryId)).toBe(1);
    expect(callsFor(stubs.deliverWebhook, planned[0]!.deliveryId)).toBe(1);
    expect(stubs.handOverDelivery).not.toHaveBeenCalled();
    // Not every delivery ended in the routing step: the event is settled by its own step.
    expect(stubs.settleEventStatus).toHaveBeenCalledTimes(1);
  });

  it('a release: a delivery the plan reports delivered already (a re-run) gets no attempt', async () => {
    const { input } = anEvent([{ status: 'delivered' }]);
    const { result } = await runEvent({ ...input, forcedTenantId: 'ten_released' });
    expect(result.deliveries[0]!.status).toBe('delivered');
    expect(stubs.deliverWebhookInline).not.toHaveBeenCalled();
    expect(stubs.deliverWebhook).not.toHaveBeenCalled();
  });

  it('a retryable first failure hands over a `retry` continuation: one attempt spent, the backoff one step further on', async () => {
    const { input, planned } = anEvent([{ steps: [FAIL, 'ok'] }]);
    const { result, childId } = await runEvent(input);
    const p = planned[0]!;
    expect(result.deliveries[0]!.status).toBe('delivered');
    expect(stubs.handOverDelivery).toHaveBeenCalledWith({ deliveryId: p.deliveryId, workflowId: childId(p.endpointId) });
    const child = await wf.inputOf<DeliveryWorkflowInput>(childId(p.endpointId));
    expect(child).toMatchObject({
      deliveryId: p.deliveryId,
      attemptBase: 1,
      // 4 attempts in all, 1 made; the next interval is 20 ms × 3.
      retry: { maxAttempts: 3, initialIntervalMs: 60, backoffCoefficient: 3, maxIntervalMs: 100 },
      continuation: { kind: 'retry', delayMs: 20, reason: 'endpoint answered 503' },
    });
    expect(await wf.client.workflow.getHandle(childId(p.endpointId)).result()).toEqual({ status: 'delivered', attempts: 2 });
  });

  it("a `retry` continuation waits the receiver's Retry-After, and the next interval is capped at the maximum", async () => {
    const { input, planned } = anEvent([{ steps: [{ fail: 'retryable', retryAfterMs: 70 }, 'ok'] }]);
    const { childId } = await runEvent({ ...input, policy: { ...policy, retry: { ...policy.retry, initialIntervalMs: 50 } } });
    const child = await wf.inputOf<DeliveryWorkflowInput>(childId(planned[0]!.endpointId));
    expect(child.continuation).toEqual({ kind: 'retry', delayMs: 70, reason: 'endpoint answered 503' });
    expect(child.retry.initialIntervalMs).toBe(100); // 50 × 3, capped at 100
  });

  it("the budget counts the first attempt: with the endpoint's 3 attempts, the child makes 2 more, then dead-letters", async () => {
    const { input, planned } = anEvent([{ maxAttempts: 3, steps: [FAIL, FAIL, FAIL, FAIL, FAIL] }]);
    const { result, childId } = await runEvent(input);
    const p = planned[0]!;
    expect(result.deliveries[0]!.status).toBe('dead_lettered');
    expect(callsFor(firstAttempt, p.deliveryId)).toBe(1);
    expect(callsFor(stubs.deliverWebhook, p.deliveryId)).toBe(2);
    const outcome = (await wf.client.workflow.getHandle(childId(p.endpointId)).result()) as DeliveryWorkflowResult;
    expect(outcome).toEqual({ status: 'dead_lettered', attempts: 3, reason: 'retries exhausted: endpoint answered 503' });
    expect(stubs.markDeadLettered).toHaveBeenCalledWith({ deliveryId: p.deliveryId, reason: outcome.reason });
  });

  it('a permanent first failure hands over a `park` continuation: dead-lettered at once, no further attempt', async () => {
    const { input, planned } = anEvent([{ steps: [{ fail: 'permanent' }] }]);
    const { result, childId } = await runEvent(input);
    const p = planned[0]!;
    expect(result.deliveries[0]!.status).toBe('dead_lettered');
    expect((await wf.inputOf<DeliveryWorkflowInput>(childId(p.endpointId))).continuation).toEqual({
      kind: 'park',
      reason: 'permanent failure: endpoint answered 400',
      attempts: 1,
    });
    expect(stubs.deliverWebhook).not.toHaveBeenCalled();
    expect(stubs.markDeadLettered).toHaveBeenCalledTimes(1);
  });

  it('a circuit-open first attempt hands over a `wait` continuation that costs no attempt: the child keeps the whole budget', async () => {
    const { input, planned } = anEvent([{ maxAttempts: 2, steps: [{ wait: 'circuit_open', waitMs: 30 }, FAIL, FAIL, FAIL] }]);
    const { result, childId } = await runEvent(input);
    const p = planned[0]!;
    expect(result.deliveries[0]!.status).toBe('dead_lettered');
    const child = await wf.inputOf<DeliveryWorkflowInput>(childId(p.endpointId));
    expect(child).toMatchObject({ attemptBase: 0, retry: { maxAttempts: 2, initialIntervalMs: 20 }, continuation: { kind: 'wait', delayMs: 30, reason: 'circuit_open' } });
    expect(callsFor(stubs.deliverWebhook, p.deliveryId)).toBe(2);
    expect(await wf.client.workflow.getHandle(childId(p.endpointId)).result()).toMatchObject({ status: 'dead_lettered', attempts: 2 });
  });

  it('endpoints are independent: one delivered inline, one handed over, each with its own outcome', async () => {
    const { input, planned } = anEvent([{}, { maxAttempts: 1, steps: [FAIL] }]);
    const { result, childId } = await runEvent(input);
    expect(result.deliveries.map((d) => d.status)).toEqual(['delivered', 'dead_lettered']);
    expect(stubs.handOverDelivery).toHaveBeenCalledTimes(1);
    expect(await wf.exists(childId(planned[0]!.endpointId))).toBe(false);
    // No attempt left after the first: the child parks without calling the endpoint again.
    expect(stubs.deliverWebhook).not.toHaveBeenCalled();
  });

  it('quarantined on a conflict: nothing planned or attempted', async () => {
    const conflict: Resolution = { outcome: 'conflict', reason: 'conflicting_keys', detail: { candidates: ['ten_a', 'ten_b'] } };
    const { input } = anEvent([{}], [conflict]);
    const { result } = await runEvent(input);
    expect(result).toEqual({ status: 'quarantined', reason: 'conflicting_keys', deliveries: [] });
    expect(stubs.quarantineEvent).toHaveBeenCalledWith({ eventId: input.eventId, reason: 'conflicting_keys', detail: conflict.detail });
    expect(stubs.routeAndDeliver).toHaveBeenCalledTimes(1);
    expect(firstAttempt).not.toHaveBeenCalled();
    expect(stubs.settleEventStatus).not.toHaveBeenCalled();
  });

  it('quarantined as unroutable when the routing map has not caught up by the end of the wait', async () => {
    const keys = [{ kind: 'call_id' as const, value: 'c-1' }];
    const { input } = anEvent([{}], [{ outcome: 'unresolved', keys }]);
    const { result } = await runEvent(input);
    expect(result).toEqual({ status: 'quarantined', reason: 'unroutable', deliveries: [] });
    // Polled every 100 ms of a 300 ms wait: more than once, and not without end.
    expect(stubs.routeAndDeliver.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(stubs.routeAndDeliver.mock.calls.length).toBeLessThanOrEqual(5);
    expect(stubs.quarantineEvent).toHaveBeenCalledWith({ eventId: input.eventId, reason: 'unroutable', detail: { keys } });
  });

  it('resolved on a later poll: planned and delivered, not quarantined', async () => {
    const keys = [{ kind: 'call_id' as const, value: 'c-2' }];
    const { input } = anEvent([{}], [{ outcome: 'unresolved', keys }, { outcome: 'resolved', tenantId: 'ten_late' }]);
    const { result } = await runEvent(input);
    expect(result).toMatchObject({ tenantId: 'ten_late', deliveries: [{ status: 'delivered' }] });
    expect(stubs.routeAndDeliver).toHaveBeenCalledTimes(2);
    expect(stubs.quarantineEvent).not.toHaveBeenCalled();
  });

  it('a release is planned for the tenant it names, after a `released` checkpoint, without resolving', async () => {
    const { input } = anEvent([{}]);
    const { result } = await runEvent({ ...input, forcedTenantId: 'ten_released' });
    expect(result).toMatchObject({ tenantId: 'ten_released', deliveries: [{ status: 'delivered' }] });
    expect(stubs.routeAndDeliver).not.toHaveBeenCalled();
    expect(stubs.recordCheckpoint).toHaveBeenCalledWith({
      eventId: input.eventId,
      stage: 'tenant_resolved',
      setStatus: true,
      detail: { tenant_id: 'ten_released', via: ['released'] },
    });
    expect(stubs.planDeliveries).toHaveBeenCalledWith(expect.objectContaining({ eventId: input.eventId, tenantId: 'ten_released' }));
  });
});

describe('deliveryWorkflow started on its own (redrive, endpoint test; stubbed activities)', () => {
  function aDelivery(steps: Step[], attemptsSoFar: number, maxAttempts: number): DeliveryWorkflowInput {
    const deliveryId = `dlv_${randomBytes(4).toString('hex')}`;
    scripts.set(deliveryId, steps);
    attemptCounts.set(deliveryId, attemptsSoFar);
    return {
      deliveryId,
      eventId: 'evt_redriven',
      endpointId: 'ep_r',
      destination: 'hooks.example.test',
      retry: { ...policy.retry, maxAttempts },
      deliveryTimeoutMs: policy.deliveryTimeoutMs,
      attemptBase: attemptsSoFar,
    };
  }

  it('a redrive counts its fresh budget from attempt_count: 2 attempts after 2 earlier ones end at attempt 4', async () => {
    const input = aDelivery([FAIL, FAIL, FAIL], 2, 2);
    const result = (await (await wf.start('deliveryWorkflow', 'redrive', [input])).result()) as DeliveryWorkflowResult;
    expect(result).toEqual({ status: 'dead_lettered', attempts: 4, reason: 'retries exhausted: endpoint answered 503' });
    expect(callsFor(stubs.deliverWebhook, input.deliveryId)).toBe(2);
    expect(stubs.markDeadLettered).toHaveBeenCalledWith({ deliveryId: input.deliveryId, reason: result.reason });
    expect(stubs.settleEventStatus).toHaveBeenCalledWith('evt_redriven');
  });

  it('a rate-limit wait inside the retry loop costs no attempt', async () => {
    const input = aDelivery([{ wait: 'rate_limited', waitMs: 30 }, FAIL, 'ok'], 0, 2);
    const result = (await (await wf.start('deliveryWorkflow', 'waits', [input])).result()) as DeliveryWorkflowResult;
    expect(result).toEqual({ status: 'delivered', attempts: 2 });
    expect(callsFor(stubs.deliverWebhook, input.deliveryId)).toBe(3);
    expect(stubs.markDeadLettered).not.toHaveBeenCalled();
  });
});
