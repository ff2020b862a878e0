import pino, { type Logger } from 'pino';
import { traceLogFields } from './telemetry/tracing';

export type { Logger };

/**
 * Structured JSON logs. Secrets must never reach a log line: the redact list is a safety net for
 * the header and field names that carry them, not a licence to log whole request objects.
 */
/** `destination` defaults to stdout; the CLI passes stderr so its stdout stays pure data. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'switchboard', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // trace_id/span_id on lines logged inside a span (tracing on only).
    mixin: traceLogFields,
    redact: {
      paths: [
        'authorization',
        'headers.authorization',
        '*.authorization',
        'secret',
        '*.secret',
        'api_key',
        '*.api_key',
        'inbound_secret',
        '*.inbound_secret',
        'webhook-signature',
        'headers["webhook-signature"]',
        'headers["x-signature"]',
        // Endpoint delivery options (src/delivery/deliveryAuth.ts): never logged on purpose; these
        // catch a request body or an options object that reached a log line by mistake.
        'password',
        '*.password',
        'client_secret',
        '*.client_secret',
        'token',
        '*.token',
        'access_token',
        '*.access_token',
        'auth.key',
        '*.auth.key',
        '*.auth.password',
        '*.auth.token',
        '*.auth.client_secret',
        'delivery_auth_sealed',
        '*.delivery_auth_sealed',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
