import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { captureHistory, eventView, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

const INLINE = 4;
const SLOW_EVENTS = 60;

/**
 * The event workflow makes its first attempt inside its own workflow task (a local activity),
 * which keeps that task and its worker slot open for the whole POST. The worker bounds how many
 * such POSTs run at once (DELIVERY_INLINE_ATTEMPTS) and gives them slots of their own; beyond the
 * bound the attempt goes through the task queue. So endpoints that hang hold no slot another
 * tenant needs: here 60 first attempts hang (answered only when the test says so), more than the
 * worker's 40 ordinary workflow task slots, and another tenant's event is still delivered.
 */
describe('inline first attempts are bounded per worker', () => {
  let stack: TestStack;
  let slow: Receiver;
  let fast: Receiver;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    // A timeout longer than the test: a hanging POST ends only when the receiver is released.
    stack = await startTestStack({ env: { DELIVERY_INLINE_ATTEMPTS: String(INLINE), DELIVERY_TIMEOUT: '2m' } });
    slow = await startReceiver(() => ({ status: 200, hold: held }));
    fast = await startReceiver(() => ({ status: 204 }));
  });
  afterAll(async () => {
    release();
    await slow?.close();
    await fast?.close();
    await stack?.close();
  });

  it('past the bound the first attempt is a task-queue activity, and a hanging tenant stalls no one else', async () => {
    const partner = await seedPartner(stack, 'Inline Voice');
    const hanging = await seedTenant(stack, partner.id, 'hanging receiver');
    const healthy = await seedTenant(stack, partner.id, 'healthy receiver');
    const secrets = [
      partner.inbound_secret,
      (await seedEndpoint(stack, partner.id, hanging.id, { url: slow.url })).secret,
      (await seedEndpoint(stack, partner.id, healthy.id, { url: fast.url })).secret,
    ];

    const slowAcks = await Promise.all(
      Array.from({ length: SLOW_EVENTS }, () => sendEvent(stack, partner, { call_id: uniqueCallId('hang'), tenant_id: hanging.id })),
    );
    // Every first attempt is in flight at the hanging receiver, none answered.
    await slow.waitFor(SLOW_EVENTS, 60_000);

    // Only INLINE of them run inside their workflow task; the others were deferred to the task
    // queue, which shows in their histories as a scheduled deliverWebhook activity.
    const scheduledActivity = async (workflowId: string) => {
      const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
      return (history.events ?? []).some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverWebhook');
    };
    const viaTaskQueue = await waitUntil('the deferred first attempts to show in their histories', async () => {
      const n = (await Promise.all(slowAcks.map((a) => scheduledActivity(a.workflow_id)))).filter(Boolean).length;
      return n === SLOW_EVENTS - INLINE ? n : undefined;
    });
    expect(viaTaskQueue).toBe(SLOW_EVENTS - INLINE);
    const firstAttempts = async (mode: string) =>
      (await stack.core.metrics.firstAttempts.get()).values.find((v) => v.labels['mode'] === mode)?.value ?? 0;
    expect(await firstAttempts('deferred')).toBe(SLOW_EVENTS - INLINE);
    expect(await firstAttempts('inline')).toBe(INLINE);

    // Another tenant's event goes through start to finish while all 60 still hang.
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('fine'), tenant_id: healthy.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(fast.requests).toHaveLength(1);
    expect(slow.requests).toHaveLength(SLOW_EVENTS);

    // Released: every hanging delivery completes, each exactly once, with one attempt.
    release();
    for (const a of slowAcks) expect(await settle(stack, a.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(slow.uniqueWebhookIds().size).toBe(SLOW_EVENTS);
    expect(slow.requests).toHaveLength(SLOW_EVENTS);
    const views = await Promise.all(slowAcks.slice(0, 5).map((a) => eventView(stack, a.event_id)));
    for (const v of views) expect(v.deliveries[0]).toMatchObject({ status: 'delivered', attempt_count: 1 });

    // For the replay fixtures: an event whose inline attempt was deferred to the task queue.
    const deferred = [];
    for (const a of slowAcks) if (await scheduledActivity(a.workflow_id)) deferred.push(a);
    await captureHistory(stack, deferred[0]!.workflow_id, 'event-first-attempt-deferred', secrets);
  });
});
