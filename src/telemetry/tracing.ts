import type { RequestHandler } from 'express';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * What the rest of the code may ask of tracing. Only `import type` from OpenTelemetry-free
 * modules here: the implementation (./otelTracing, which loads the SDK) is imported dynamically by
 * startTracing, and only when an OTLP endpoint is configured. Off (the default), callers see
 * `activeTracing() === undefined` and nothing of OpenTelemetry is ever loaded.
 */
export interface Tracing {
  /** Express middleware: one server span per request, active for the whole handler. */
  readonly requestSpans: RequestHandler;
  /** Runs the relay's workflow start in a span whose parent is the ingest span (the stored traceparent). */
  inRelayStart<T>(event: { id: string; workflow_id: string; traceparent?: string | null }, start: () => Promise<T>): Promise<T>;
  /** Runs one delivery attempt in a span (a child of the activity's span). */
  inDeliveryAttempt<T>(attributes: Record<string, string | number>, attempt: () => Promise<T>): Promise<T>;
  /** The active span as a W3C `traceparent` (stored with the event, sent with each webhook). */
  currentTraceparent(): string | undefined;
  /** `trace_id`/`span_id` of the active span, for log lines (the pino mixin). */
  logFields(): Record<string, string>;
  /** Temporal client interceptors: a workflow start carries the active context in its headers. */
  clientInterceptors(): WorkflowClientInterceptor[];
  /** Temporal worker options: activity interceptors and the sink that exports workflow spans. */
  workerOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The process's tracing, or undefined when it is off. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/**
 * Starts tracing for this process once (the server and a worker in one process share it). With no
 * endpoint configured it returns undefined without loading anything.
 */
export function startTracing(telemetry: Config['telemetry']): Tracing | undefined {
  const { tracesUrl, serviceName } = telemetry;
  if (!tracesUrl || active) return active;
  // A require, not an import: the OpenTelemetry SDK is loaded only on this path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createOtelTracing } = require('./otelTracing') as typeof import('./otelTracing');
  active = createOtelTracing({ tracesUrl, serviceName });
  return active;
}

/** Flushes and stops tracing (process exit, tests). */
export async function stopTracing(): Promise<void> {
  const tracing = active;
  active = undefined;
  await tracing?.shutdown();
}

/**
 * The pino mixin: trace ids on the lines logged inside a span; nothing when tracing is off. A new
 * object each call: pino merges the line's own fields into the one returned.
 */
export function traceLogFields(): Record<string, string> {
  return active ? active.logFields() : {};
}
