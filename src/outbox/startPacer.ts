/**
 * Paces the outbox relay by what this worker is running, so its starts stay eager.
 *
 * An eager start hands the workflow's first task straight back to this worker, but only while the
 * worker has a free workflow task slot; otherwise the server queues it like any start, and the
 * event pays a task-queue round trip and its routing step may lose its inline first attempt. A
 * relay that starts a sweep's 200 rows as fast as the server answers floods the slots in
 * milliseconds (measured: 115 of 500 burst starts eager, 94 first attempts deferred). So the relay
 * takes a place here before each start (INGEST_MAX_INFLIGHT_STARTS places), and an eagerly started
 * event keeps it until its routing step has planned its deliveries on this worker (`finished`):
 * its first POSTs are bounded apart (DELIVERY_INLINE_ATTEMPTS), so a slow endpoint never holds a
 * place. `holdMs` frees a place whose step never reports (its task went to another worker).
 */
export class StartPacer {
  private reserved = 0;
  private readonly running = new Map<string, NodeJS.Timeout>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly places: number,
    private readonly holdMs = 30_000,
  ) {}

  /** Waits for a place, for one start. */
  async take(): Promise<void> {
    while (this.reserved + this.running.size >= this.places) await new Promise<void>((wake) => this.waiters.push(wake));
    this.reserved++;
  }

  /** The start was eager: the event's routing step runs here now and keeps the place. */
  startedHere(eventId: string): void {
    this.reserved--;
    if (this.running.has(eventId)) return this.wake();
    const lapse = setTimeout(() => this.finished(eventId), this.holdMs);
    lapse.unref();
    this.running.set(eventId, lapse);
  }

  /** The start was not eager, or failed: nothing runs here for it. */
  notHere(): void {
    this.reserved--;
    this.wake();
  }

  /** The event's routing step ended on this worker (or its hold lapsed). Unknown ids are ignored. */
  finished(eventId: string): void {
    const lapse = this.running.get(eventId);
    if (!lapse) return;
    clearTimeout(lapse);
    this.running.delete(eventId);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
