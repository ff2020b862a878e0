import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { RequestHandler } from 'express';
import type { Tracing } from './tracing';

/**
 * The OpenTelemetry side of tracing (see ./tracing for the contract). Loaded only when an OTLP
 * endpoint is configured. One trace per event: the ingest request's span → the relay's start
 * (parented by the traceparent stored with the event) → Temporal's StartWorkflow/RunWorkflow/
 * RunActivity spans (its interceptors carry the context in workflow and activity headers) → a
 * span per delivery attempt, whose traceparent the webhook request carries too.
 */
export function createOtelTracing(settings: { tracesUrl: string; serviceName: string }): Tracing {
  const resource = new Resource({ 'service.name': settings.serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer('switchboard');

  /** Runs `fn` in an active span ended when it settles; a throw marks the span as an error. */
  async function inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, parent: Context, fn: () => Promise<T>): Promise<T> {
    return tracer.startActiveSpan(name, { kind, attributes }, parent, async (span) => {
      try {
        return await fn();
      } catch (err) {
        failSpan(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  }

  return {
    requestSpans: requestSpanMiddleware(tracer),
    inRelayStart: (event, start) =>
      inSpan('outbox.start_workflow', SpanKind.INTERNAL, { 'switchboard.event_id': event.id, 'temporal.workflow_id': event.workflow_id }, contextOf(event.traceparent), start),
    inDeliveryAttempt: (attributes, attempt) => inSpan('delivery.attempt', SpanKind.CLIENT, attributes, context.active(), attempt),
    currentTraceparent() {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier['traceparent'];
    },
    logFields(): Record<string, string> {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
    clientInterceptors: () => [new OpenTelemetryWorkflowClientInterceptor({ tracer })],
    workerOptions: () => temporalWorkerOptions(tracer, processor, resource),
    async shutdown() {
      await provider.shutdown();
      // Unregistered, so a later startTracing in this process (tests) can register again.
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** One server span per request, active (AsyncLocalStorage) for the whole handler. */
function requestSpanMiddleware(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    const span = tracer.startSpan(`${req.method} ${req.baseUrl}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.originalUrl.split('?')[0] },
      links: partnerTraceLink(req.headers['traceparent']),
    }, ROOT_CONTEXT);
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(ROOT_CONTEXT, span), next);
  };
}

/** Temporal's activity interceptors, and the sink through which workflow spans are exported. */
function temporalWorkerOptions(tracer: Tracer, processor: SpanProcessor, resource: Resource): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(processor, resource) },
  };
}

/** The context a stored traceparent names (root when there is none: a new trace). */
function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * A partner's own traceparent is linked, not adopted as the parent: a public endpoint must not let
 * a caller choose our trace ids (one reused header would join every event into one trace).
 */
function partnerTraceLink(header: string | string[] | undefined): Link[] | undefined {
  if (typeof header !== 'string') return undefined;
  const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: header }));
  return spanContext ? [{ context: spanContext }] : undefined;
}

function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
