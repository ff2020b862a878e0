import { AppError, OverloadedError, RateLimitedError, UnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';

/** The one log line per receipt: grows as the request is understood, and carries whatever is known. */
export type ReceiptLine = Record<string, unknown>;

/** accepted / duplicate (2xx), rejected (4xx: signature, body, schema), shed and rate_limited (load), unavailable (not stored). */
type Outcome = 'accepted' | 'duplicate' | 'rejected' | 'shed' | 'rate_limited' | 'unavailable';

/** Records how one ingest request ended: its log line, the outcome metrics and the rejection reason. */
export class IngestReceiptLog {
  readonly line: ReceiptLine;
  private readonly started = performance.now();

  constructor(
    partnerIdParam: unknown,
    sourceIp: string | null,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.line = { partner_id: String(partnerIdParam).slice(0, 100), source_ip: sourceIp };
  }

  stored(duplicate: boolean): void {
    this.finish(duplicate ? 'duplicate' : 'accepted', duplicate ? 200 : 202);
  }

  /**
   * Logs and counts a refusal and returns the typed error to answer with. Anything not already
   * typed happened before the commit (e.g. the partner lookup with Postgres down): a retryable 503.
   */
  refused(caught: unknown): AppError {
    let err: AppError;
    if (caught instanceof AppError) err = caught;
    else {
      this.logger.error({ err: caught, partner_id: this.line['partner_id'] }, 'ingest failed before persisting');
      err = new UnavailableError('ingest is unavailable; retry later', 5);
    }
    const outcome: Outcome =
      err instanceof RateLimitedError ? 'rate_limited'
      : err instanceof OverloadedError ? 'shed'
      : err.status >= 500 ? 'unavailable'
      : 'rejected';
    if (outcome === 'rejected') {
      const reason = (this.line['reason'] as string | undefined) ?? (err as { reason?: string }).reason ?? err.code;
      this.line['reason'] = reason;
      this.metrics.ingestRejections.inc({ reason });
    }
    this.line['message'] = err.message;
    this.finish(outcome, err.status);
    return err;
  }

  private finish(outcome: Outcome, status: number): void {
    const latency = (performance.now() - this.started) / 1000;
    this.metrics.ingestTotal.inc({ outcome });
    this.metrics.ingestLatency.observe({ outcome }, latency);
    const entry = { ...this.line, outcome, status, latency_ms: Math.round(latency * 1000) };
    if (outcome === 'accepted' || outcome === 'duplicate') this.logger.info(entry, 'webhook received');
    else if (outcome === 'unavailable') this.logger.error(entry, 'webhook not persisted');
    else this.logger.warn(entry, 'webhook refused');
  }
}
