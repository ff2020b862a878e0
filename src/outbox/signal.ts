import pg from 'pg';
import type { Logger } from '../logger';

/**
 * The Postgres channel the ingest statement notifies when it adds events (persistEvents); outbox
 * relays LISTEN on it. A lost notification costs latency only: relays also poll.
 */
export const OUTBOX_CHANNEL = 'switchboard_outbox';

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
