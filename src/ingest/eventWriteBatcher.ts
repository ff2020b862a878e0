import { ValidationError } from '../errors';
import type { PersistInput, PersistResult } from './persistEvent';

/** A statement's share of memory on both ends: 100 one-MiB bodies in one message would be 200 MiB. */
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * How long a request waits behind running statements before another opens for it, full batch or
 * not. A healthy ingest statement takes a few milliseconds; one that stalls (a lock, a checkpoint's
 * fsync) must not hold every request behind it until a full batch has gathered, which at 500/s
 * would be 200 ms.
 */
const DEFAULT_PATIENCE_MS = 20;

/** One statement storing `inputs` and answering for each, in order (`persistEvents` bound to a database). */
export type WriteBatch = (inputs: PersistInput[]) => Promise<PersistResult[]>;

interface Waiting {
  input: PersistInput;
  queuedAt: number;
  resolve: (r: PersistResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for ingest. Each request still waits for its own event to be committed before it
 * is acknowledged; what changes is that events arriving while the database is busy share one
 * statement. Idle, an event is written at once on its own, so batching adds no latency; under
 * load, fewer and larger statements cost Postgres and this process far less per event than one
 * statement each.
 *
 * While a statement runs, arrivals queue for the next one, which takes everything queued (up to
 * `maxBatch`). Another statement starts beside it only when a full batch is already waiting or
 * the oldest request has waited `patienceMs`, up to `concurrency` at once: a statement that is not
 * yet full would only split the queue into smaller, costlier statements (at 1000/s, with up to
 * four opened as requests arrived, a profile showed about as many Postgres writes as HTTP
 * responses). A full batch waiting means one statement at a time cannot keep up (a slow or remote
 * database), and a request waiting that long means the running one is stuck: then the extra
 * statements are what holds throughput and latency.
 *
 * A batch is one statement, so it fails or commits as a whole. When it fails on one input that
 * can never be stored (a 422, e.g. a NUL character in the payload), its neighbours must not
 * share the refusal: the batch is written again one input at a time.
 */
export class EventWriteBatcher {
  private readonly queue: Waiting[] = [];
  private running = 0;
  private patienceTimer?: NodeJS.Timeout;

  constructor(
    private readonly writeBatch: WriteBatch,
    private readonly options: {
      concurrency: number;
      maxBatch: number;
      maxBatchBytes?: number;
      patienceMs?: number;
      onBatch?: (size: number) => void;
    },
  ) {}

  persist(input: PersistInput): Promise<PersistResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, queuedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const length = this.batchLength();
      if (this.running > 0 && !this.isFull(length) && this.patienceLeft() > 0) {
        this.pumpAfterPatience();
        return;
      }
      const batch = this.queue.splice(0, length);
      this.running++;
      void this.write(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  /**
   * How many queued events the next statement takes: up to maxBatch, and (bodies may be up to
   * INGEST_MAX_BODY_BYTES each) no more body bytes than maxBatchBytes, but always at least one.
   */
  private batchLength(): number {
    const limit = Math.min(this.queue.length, this.options.maxBatch);
    let bytes = 0;
    for (let n = 0; n < limit; n++) {
      bytes += this.queue[n]!.input.receipt.body.length;
      if (n > 0 && bytes > (this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES)) return n;
    }
    return limit;
  }

  /** How much longer the oldest queued request will wait behind the running statements. */
  private patienceLeft(): number {
    return this.queue[0]!.queuedAt + (this.options.patienceMs ?? DEFAULT_PATIENCE_MS) - performance.now();
  }

  /** One timer at a time: when it fires, the queue is looked at again (it may have gone by then). */
  private pumpAfterPatience(): void {
    if (this.patienceTimer) return;
    this.patienceTimer = setTimeout(() => {
      this.patienceTimer = undefined;
      this.pump();
    }, this.patienceLeft());
    this.patienceTimer.unref();
  }

  /** Whether the next statement would be capped: more is waiting than one statement may take. */
  private isFull(length: number): boolean {
    return length === this.options.maxBatch || length < this.queue.length;
  }

  /** Settles every promise of the batch; never throws. */
  private async write(batch: Waiting[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const results = await this.writeBatch(batch.map((w) => w.input));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !(err instanceof ValidationError)) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(
        batch.map((w) =>
          this.writeBatch([w.input]).then(
            (r) => w.resolve(r[0]!),
            (e: unknown) => w.reject(e),
          ),
        ),
      );
    }
  }
}
