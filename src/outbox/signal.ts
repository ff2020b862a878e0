import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/schema';
import type { Logger } from '../logger';

/** The Postgres channel ingest notifies after committing new events; outbox relays LISTEN on it. */
export const OUTBOX_CHANNEL = 'switchboard_outbox';

/**
 * Ingest side: tells the relays "new events are in the outbox". One NOTIFY per window however
 * many events were committed in it (relays only need to know there is something), and outside the
 * ingest statement: a NOTIFY inside it would serialise every commit on Postgres's notification
 * lock. A lost notification costs latency only: relays also poll.
 */
export class OutboxNotifier {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    private readonly windowMs = 5,
  ) {}

  notify(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      sql`select pg_notify(${OUTBOX_CHANNEL}, '')`
        .execute(this.db)
        .catch((err: unknown) => this.logger.warn({ err }, 'could not notify the outbox relays; their next poll finds the events'));
    }, this.windowMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Relay side: a dedicated connection (LISTEN needs one session, so not the pool) that calls
 * `onSignal` for every notification, and once after each (re)connect to catch up on what was
 * committed while it was not listening. Reconnects after a second when the connection is lost
 * (e.g. a Postgres restart); meanwhile the relay's poll keeps working.
 */
export class OutboxListener {
  private client?: pg.Client;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onSignal: () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    this.client = client;
    client.on('notification', () => this.onSignal());
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.onSignal();
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return; // already handled (error and end both fire)
    this.client = undefined;
    if (this.closed) return;
    this.logger.warn({ err }, 'outbox listener lost its connection; polling until it reconnects');
    // The connection is already broken; ending it only releases the socket, whatever it reports.
    client.end().catch(() => undefined);
    this.retryTimer = setTimeout(() => void this.connect(), 1_000);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }
}
