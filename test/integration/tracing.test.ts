import { Writable } from 'node:stream';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { fetchHistory, replayHistories } from '../../src/replay/replayHistories';
import { workflowBundle } from '../../src/temporal/worker';
import { createLogger } from '../../src/logger';
import { activeTracing, stopTracing } from '../../src/telemetry/tracing';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlpCollector';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/** Which OpenTelemetry SDK modules this test file loaded (a factory runs on a module's first require). */
const mockLoaded: string[] = [];
jest.mock('@opentelemetry/sdk-trace-base', () => (mockLoaded.push('@opentelemetry/sdk-trace-base'), jest.requireActual('@opentelemetry/sdk-trace-base')));
jest.mock('@opentelemetry/exporter-trace-otlp-http', () => (mockLoaded.push('@opentelemetry/exporter-trace-otlp-http'), jest.requireActual('@opentelemetry/exporter-trace-otlp-http')));
jest.mock('@temporalio/interceptors-opentelemetry', () => (mockLoaded.push('@temporalio/interceptors-opentelemetry'), jest.requireActual('@temporalio/interceptors-opentelemetry')));

async function deliverOne(stack: TestStack, receiver: Receiver): Promise<{ event_id: string; workflow_id: string }> {
  const partner = await seedPartner(stack, 'Traced Voice');
  const tenant = await seedTenant(stack, partner.id, 'traced tenant');
  await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
  const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('trace'), tenant_id: tenant.id });
  await settle(stack, ack.workflow_id);
  return ack;
}

async function collectReplays(results: AsyncIterable<ReplayResult>): Promise<Array<{ workflowId: string; ok: boolean; message?: string }>> {
  const out: Array<{ workflowId: string; ok: boolean; message?: string }> = [];
  for await (const r of results) out.push(r.error ? { workflowId: r.workflowId, ok: false, message: r.error.message } : { workflowId: r.workflowId, ok: true });
  return out;
}

describe('tracing off (the default)', () => {
  let stack: TestStack;
  let receiver: Receiver;
  beforeAll(async () => {
    stack = await startTestStack();
    receiver = await startReceiver(() => ({ status: 204 }));
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('loads no OpenTelemetry SDK, installs nothing, and sends no traceparent', async () => {
    await deliverOne(stack, receiver);
    expect(activeTracing()).toBeUndefined();
    expect(mockLoaded).toEqual([]);
    expect(receiver.requests[0]!.headers['traceparent']).toBeUndefined();
  });
});

describe('tracing on: one connected trace per event', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let collector: OtlpCollector;
  beforeAll(async () => {
    collector = await startOtlpCollector();
    stack = await startTestStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    receiver = await startReceiver(() => ({ status: 204 }));
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
    await stopTracing();
    await collector?.close();
  });

  it('connects ingest → relay start → workflow → delivery attempt in one trace, and the webhook carries it', async () => {
    const ack = await deliverOne(stack, receiver);
    const received = receiver.requests.find((r) => JSON.parse(r.body).event_id === ack.event_id) ?? receiver.requests[0]!;
    const traceparent = String(received.headers['traceparent']);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const traceId = traceparent.split('-')[1]!;

    // Spans are exported in batches: wait until the whole chain has arrived.
    const named = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);
    const trace = await waitUntil('the trace to reach the collector', async () => {
      const spans = collector.spans.filter((s) => s.traceId === traceId);
      const done = ['POST /v1/webhooks', 'outbox.start_workflow', 'StartWorkflow:eventWorkflow', 'RunWorkflow:eventWorkflow', 'delivery.attempt'].every(
        (name) => named(spans, name).length > 0,
      );
      return done && spans;
    }, 60_000);

    // The relay's start is the event's and the ingest request's child.
    const [ingest] = named(trace, 'POST /v1/webhooks');
    const [relayStart] = named(trace, 'outbox.start_workflow');
    expect(relayStart!.attributes['switchboard.event_id']).toBe(ack.event_id);
    expect(relayStart!.parentSpanId).toBe(ingest!.spanId);
    // Connected: one root (the ingest request), every other span's parent in the same trace.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => !s.parentSpanId).map((s) => s.name)).toEqual(['POST /v1/webhooks']);
    expect(trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.name)).toEqual([]);
    // The webhook's traceparent names the attempt's span.
    const [attempt] = named(trace, 'delivery.attempt');
    expect(traceparent.split('-')[2]).toBe(attempt!.spanId);
    // No span of another event joined this trace.
    expect(new Set(named(trace, 'outbox.start_workflow').map((s) => s.attributes['switchboard.event_id']))).toEqual(new Set([ack.event_id]));
  }, 120_000);

  it('a traced history replays with tracing off and on (the interceptors add no commands)', async () => {
    const ack = await deliverOne(stack, receiver);
    const history = await fetchHistory(stack.temporal, ack.workflow_id);
    const outcomes = [
      ...(await replayHistories([history])),
      ...(await collectReplays(Worker.runReplayHistories({ workflowBundle: await workflowBundle(true) }, [history]))),
    ];
    expect(outcomes).toEqual([{ workflowId: ack.workflow_id, ok: true }, { workflowId: ack.workflow_id, ok: true }]);
  }, 120_000);

  it('puts the active trace and span ids on log lines', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });
    const logger = createLogger('info', {}, sink);
    logger.info('outside any span');
    await activeTracing()!.inDeliveryAttempt({}, async () => logger.info('inside a span'));
    const [outside, inside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(outside!['trace_id']).toBeUndefined();
    expect(inside!['trace_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(inside!['span_id']).toMatch(/^[0-9a-f]{16}$/);
  });
});
