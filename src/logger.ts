import pino, { type Logger } from 'pino';

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
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
