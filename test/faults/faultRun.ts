import { randomBytes } from 'node:crypto';
import { generateEncryptionKey } from '../../src/crypto/secretBox';
import { partnerHeaders } from '../support/inboundSigning';
import { startReceiver, type Behaviour, type Receiver } from '../support/receiver';

/**
 * The shared machinery of the fault tests and the soak: a steady stream of signed events from a
 * partner that retries like a real one (anything but 2xx/4xx is retried with the same event), a
 * receiver that deduplicates by `webhook-id` like a well-behaved consumer, and the tally that
 * decides "nothing lost, nothing doubled". No jest imports: `npm run soak` uses it too.
 */

/**
 * Short retry maths and a generous budget: outages in the fault tests last seconds to tens of
 * seconds, and a delivery that dead-letters during one would be a loss the test must not excuse.
 */
export const FAULT_TUNING: Record<string, string> = {
  OUTBOX_SWEEP_INTERVAL: '500ms',
  DELIVERY_TIMEOUT: '2s',
  DELIVERY_INITIAL_INTERVAL: '200ms',
  DELIVERY_BACKOFF_COEFFICIENT: '2',
  DELIVERY_MAX_INTERVAL: '2s',
  DELIVERY_MAX_ATTEMPTS: '50',
  CIRCUIT_OPEN_DURATION: '1s',
  TENANT_RESOLUTION_WAIT: '5s',
  TENANT_RESOLUTION_POLL: '500ms',
};

/** Environment shared by the in-process API server and the worker child process. */
export function faultEnv(opts: { databaseUrl: string; temporalAddress: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_TASK_QUEUE: `fault-${randomBytes(6).toString('hex')}`,
    SWITCHBOARD_ENCRYPTION_KEY: generateEncryptionKey(),
    SWITCHBOARD_ADMIN_KEY: `sk_admin_fault_${randomBytes(16).toString('hex')}`,
    SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
    LOG_LEVEL: process.env['SWITCHBOARD_TEST_VERBOSE'] ? 'debug' : 'info',
    WORKER_METRICS_PORT: '0',
    DATABASE_POOL_SIZE: '8',
    ...FAULT_TUNING,
    ...opts.extra,
  };
}

export const ROUTE_KEY = 'crm-fault';

/** Event i of a run: three events per call (start, transcript, end), every one a distinct key. */
export function loadEvent(tag: string, i: number): Record<string, unknown> {
  const kinds = ['call.started', 'transcript.available', 'call.ended'] as const;
  return {
    event: kinds[i % 3],
    call_id: `${tag}-${Math.floor(i / 3)}`,
    occurred_at: new Date().toISOString(),
    runtime_vars: { crm_account_id: ROUTE_KEY },
    data: { seq: i },
  };
}

export interface IngestAttempt {
  i: number;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 for a network error / client timeout. */
  status: number;
}

export interface LoadResult {
  /** event_id -> time the partner first got a 2xx for it. */
  acks: Map<string, number>;
  attempts: IngestAttempt[];
  /** Events answered 4xx (other than 429): a bug in the load or the server, never expected. */
  refused: Array<{ i: number; status: number; body: string }>;
  /** Events the partner gave up on (no 2xx before its deadline). */
  abandoned: number[];
}

export interface LoadOptions {
  api: () => string;
  partnerId: string;
  secret: string;
  total: number;
  durationMs: number;
  tag?: string;
  /** How long one event is retried before the partner gives up. */
  giveUpMs?: number;
}

/**
 * Sends `total` events evenly over `durationMs`, each retried (fresh signature, same event) on 5xx,
 * 429 and network errors until a 2xx. Requests overlap: a hung one does not slow the schedule.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const tag = o.tag ?? `f${randomBytes(3).toString('hex')}`;
  const result: LoadResult = { acks: new Map(), attempts: [], refused: [], abandoned: [] };
  const gap = o.durationMs / o.total;
  const t0 = Date.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < o.total; i++) {
    const due = t0 + i * gap;
    if (due > Date.now()) await sleep(due - Date.now());
    sends.push(sendUntilAcknowledged(o, loadEvent(tag, i), i, result));
  }
  await Promise.all(sends);
  return result;
}

async function sendUntilAcknowledged(o: LoadOptions, event: Record<string, unknown>, i: number, result: LoadResult): Promise<void> {
  const body = JSON.stringify(event);
  const deadline = Date.now() + (o.giveUpMs ?? 120_000);
  while (Date.now() < deadline) {
    const startedAt = Date.now();
    let status: number;
    let text = '';
    try {
      const res = await fetch(`${o.api()}/v1/webhooks/${o.partnerId}`, {
        method: 'POST',
        headers: partnerHeaders(o.secret, body),
        body,
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      text = await res.text();
    } catch {
      status = 0;
    }
    result.attempts.push({ i, startedAt, endedAt: Date.now(), status });
    if (status >= 200 && status < 300) {
      const ack = JSON.parse(text) as { event_id: string };
      if (!result.acks.has(ack.event_id)) result.acks.set(ack.event_id, Date.now());
      return;
    }
    if (status >= 400 && status < 500 && status !== 429) {
      result.refused.push({ i, status, body: text.slice(0, 300) });
      return;
    }
    await sleep(500);
  }
  result.abandoned.push(i);
}

/**
 * A receiver that acts on each `webhook-id` once. `accepted` holds the first time each id was
 * answered 2xx (the side effect); `acceptedRequests` counts every 2xx answer, so the difference is
 * the duplicates a receiver without dedupe would have acted on twice.
 */
export interface DedupeReceiver {
  receiver: Receiver;
  url: string;
  accepted: Map<string, number>;
  acceptedRequests(): number;
  /** Replace the healthy behaviour (200 to everything) for a while; `healthy()` restores it. */
  misbehave(b: Behaviour): void;
  healthy(): void;
  close(): Promise<void>;
}

export async function startDedupeReceiver(): Promise<DedupeReceiver> {
  const accepted = new Map<string, number>();
  let acceptedRequests = 0;
  const ok: Behaviour = () => ({ status: 200 });
  let current: Behaviour = ok;
  const receiver = await startReceiver((req) => {
    const answer = current(req);
    const status = answer.status ?? 200;
    // The side effect happens when the receiver decides to answer 2xx, even if the answer is slow
    // and the sender has given up by then (that is exactly how real duplicates arise).
    if (!answer.destroy && status >= 200 && status < 300) {
      acceptedRequests++;
      const id = String(req.headers['webhook-id']);
      if (!accepted.has(id)) accepted.set(id, Date.now() + (answer.delayMs ?? 0));
    }
    return answer;
  });
  return {
    receiver,
    url: receiver.url,
    accepted,
    acceptedRequests: () => acceptedRequests,
    misbehave: (b) => (current = b),
    healthy: () => (current = ok),
    close: () => receiver.close(),
  };
}

/** Waits until every acknowledged event has been accepted by the receiver (or the timeout). */
export async function awaitDelivered(rx: DedupeReceiver, acks: Map<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ([...acks.keys()].every((id) => rx.accepted.has(id))) return;
    await sleep(250);
  }
}

export interface FaultFigures {
  scenario: string;
  acknowledged: number;
  delivered: number;
  lost: number;
  unacknowledgedDelivered: number;
  receiverRequests: number;
  duplicatesSeenByReceiver: number;
  maxDelayMs: number;
  ingestAttempts: number;
  ingestRetries: number;
}

export function tally(scenario: string, load: LoadResult, rx: DedupeReceiver): FaultFigures {
  const ackIds = [...load.acks.keys()];
  const delivered = ackIds.filter((id) => rx.accepted.has(id));
  const maxDelayMs = Math.max(0, ...delivered.map((id) => rx.accepted.get(id)! - load.acks.get(id)!));
  return {
    scenario,
    acknowledged: ackIds.length,
    delivered: delivered.length,
    lost: ackIds.length - delivered.length,
    unacknowledgedDelivered: [...rx.accepted.keys()].filter((id) => !load.acks.has(id)).length,
    receiverRequests: rx.receiver.requests.length,
    duplicatesSeenByReceiver: rx.acceptedRequests() - rx.accepted.size,
    maxDelayMs,
    ingestAttempts: load.attempts.length,
    ingestRetries: load.attempts.length - load.acks.size - load.refused.length,
  };
}

export function printFigures(f: FaultFigures, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`\n[fault figures] ${JSON.stringify({ ...f, ...extra })}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
