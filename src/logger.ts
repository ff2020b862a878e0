import pino, { type Logger } from 'pino';
import { censorLogLine, censorSerializedError } from './logRedaction';
import { traceLogFields } from './telemetry/tracing';

export type { Logger };

/**
 * Structured JSON logs. Secrets must never reach a log line: censoring the field names that carry
 * them is a safety net, not a licence to log whole request objects.
 */
/** `destination` defaults to stdout; the CLI passes stderr so its stdout stays pure data. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'switchboard', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // trace_id/span_id on lines logged inside a span (tracing on only).
    mixin: traceLogFields,
    // The safety net for credentials (src/logRedaction.ts): every field of the line, and the
    // error's fields once serialized.
    formatters: { log: censorLogLine },
    serializers: { err: (err: unknown) => censorSerializedError(err, pino.stdSerializers.err(err as Error)) },
  };
  return destination ? pino(options, destination) : pino(options);
}
