import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets must never reach a log line: the redact list is a safety net for
 * the header and field names that carry them, not a licence to log whole request objects.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
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
  });
}
