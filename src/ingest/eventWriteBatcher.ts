import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { ValidationError } from '../errors';
import { persistEvents, type PersistInput, type PersistResult } from './persistEvent';

/** A statement's share of memory on both ends: 100 one-MiB bodies in one message would be 200 MiB. */
const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

interface Waiting {
  input: PersistInput;
  resolve: (r: PersistResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit for ingest. Each request still waits for its own event to be committed before it
 * is acknowledged; what changes is that events arriving while the database is busy share one
 * statement. At most `concurrency` statements run at once; a request arriving then waits for the
 * next one, which takes everything queued (up to `maxBatch`). Idle, every event is written at
 * once on its own, so batching adds no latency; under load, fewer and larger statements cost
 * Postgres and this process far less per event than one statement each.
 *
 * A batch is one statement, so it fails or commits as a whole. When it fails on one input that
 * can never be stored (a 422, e.g. a NUL character in the payload), its neighbours must not
 * share the refusal: the batch is written again one input at a time.
 */
export class EventWriteBatcher {
  private readonly queue: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { concurrency: number; maxBatch: number; maxBatchBytes?: number; onBatch?: (size: number) => void },
  ) {}

  persist(input: PersistInput): Promise<PersistResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchLength());
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

  /** Settles every promise of the batch; never throws. */
  private async write(batch: Waiting[]): Promise<void> {
    this.options.onBatch?.(batch.length);
    try {
      const results = await persistEvents(
        this.db,
        batch.map((w) => w.input),
      );
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1 || !(err instanceof ValidationError)) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(
        batch.map((w) =>
          persistEvents(this.db, [w.input]).then(
            (r) => w.resolve(r[0]!),
            (e: unknown) => w.reject(e),
          ),
        ),
      );
    }
  }
}
