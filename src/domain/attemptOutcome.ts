import { isRetryableStatus, parseRetryAfter } from './retrySchedule';

/**
 * What one delivery attempt means, decided from what the send came back with. Pure (no HTTP
 * library, no clock of its own), so every branch is unit-tested; the delivery activity records the
 * attempt and raises the failure this names.
 */

/** What the send came back with: an answer (any status), or an error before any answer. */
export type SendReply =
  | { kind: 'answered'; status: number; retryAfter: string | undefined; bodyPreview: string; answeredAtMs: number }
  | { kind: 'unanswered'; error: SendError };

/** The parts of a send error the classification reads (see describeSendError in src/net). */
export interface SendError {
  name: string;
  code?: string;
  message: string;
  /** undici wraps socket errors; the cause's message says what actually went wrong. */
  causeMessage?: string;
  /** The address policy refused the destination: no request left this process. */
  forbidden: boolean;
}

export interface AttemptSettings {
  timeoutMs: number;
  /** The longest retry interval: a Retry-After cannot park a delivery beyond it. */
  maxIntervalMs: number;
}

/** The failure type names the activity raises (activities/failures.ts FailureType). */
export type RetryableAttemptFailure = 'DeliveryNetworkError' | 'DeliveryHttpError';
export type PermanentAttemptFailure = 'DestinationForbidden' | 'DeliveryRejected';

interface FailedAttempt {
  statusCode: number | null;
  /** Recorded as the attempt's error: what went wrong before an answer; null when one came. */
  error: string | null;
  /** The failure's message. */
  message: string;
  /** The receiver's Retry-After, capped at the longest retry interval; only answers carry one. */
  retryAfterMs: number | undefined;
}

export type AttemptOutcome =
  | { verdict: 'delivered'; statusCode: number }
  | ({ verdict: 'retry'; failureType: RetryableAttemptFailure } & FailedAttempt)
  | ({ verdict: 'permanent'; failureType: PermanentAttemptFailure } & FailedAttempt);

/**
 * 2xx → delivered. A refused destination, and a status not worth retrying (4xx except 408, 409,
 * 425, 429; any 3xx: redirects are answers) → permanent. A network error, a timeout, or a status
 * worth retrying → retry, honouring Retry-After up to the longest interval.
 */
export function classifyAttempt(reply: SendReply, s: AttemptSettings): AttemptOutcome {
  if (reply.kind === 'unanswered') return classifyUnanswered(reply.error, s);
  const { status } = reply;
  if (status >= 200 && status < 300) return { verdict: 'delivered', statusCode: status };
  const asked = parseRetryAfter(reply.retryAfter, reply.answeredAtMs);
  const failed: FailedAttempt = {
    statusCode: status,
    error: null,
    message: `endpoint answered ${status}`,
    retryAfterMs: asked === undefined ? undefined : Math.min(asked, s.maxIntervalMs),
  };
  if (!isRetryableStatus(status)) return { verdict: 'permanent', failureType: 'DeliveryRejected', ...failed };
  return { verdict: 'retry', failureType: 'DeliveryHttpError', ...failed };
}

function classifyUnanswered(e: SendError, s: AttemptSettings): AttemptOutcome {
  const error = isTimeout(e) ? `timeout after ${s.timeoutMs} ms` : `${e.code ?? e.name}: ${e.causeMessage ?? e.message}`;
  const failed: FailedAttempt = { statusCode: null, error, message: error, retryAfterMs: undefined };
  if (e.forbidden) return { verdict: 'permanent', failureType: 'DestinationForbidden', ...failed };
  return { verdict: 'retry', failureType: 'DeliveryNetworkError', ...failed };
}

/** undici reports timeouts as the abort reason (TimeoutError) or its own headers/body timeouts. */
function isTimeout(e: SendError): boolean {
  return (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** The `status_class` metric label: `2xx`…`5xx`, or `network` when nothing answered. */
export function statusClass(statusCode: number | null): string {
  return statusCode === null ? 'network' : `${Math.floor(statusCode / 100)}xx`;
}
