import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreServices } from '../bootstrap';
import { PartnerSecretCache } from '../ingest/partnerSecrets';
import { OutboxDepth } from '../outbox/depth';
import { readDatabaseSnapshot } from '../metricsDatabaseSnapshot';
import { lazyClient } from '../temporal/connection';
import { startTracing } from '../telemetry/tracing';
import { createApp } from './app';
import { answerClientErrors } from './clientErrors';
import type { IngestOutbox } from './routes/ingest';
import type { AppContext } from './context';

export interface RunningServer {
  url: string;
  port: number;
  ctx: AppContext;
  /** Ingest's view of the outbox: load shedding and the notification; the server starts no workflows. */
  outbox: IngestOutbox;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API. It does not wait for Temporal: ingest must keep acknowledging (and
 * persisting) while Temporal is down, and starts no workflow itself: the outbox relays in the
 * workers do, woken by its notifications.
 */
export async function startServer(core: CoreServices): Promise<RunningServer> {
  const { config } = core;
  // Before the app is made: it adds the ingest spans only when tracing is on.
  startTracing(config.telemetry);
  const temporal = lazyClient(config.temporal);
  const ctx: AppContext = {
    config,
    db: core.database.db,
    temporal,
    secretBox: core.secretBox,
    logger: core.logger,
    metrics: core.metrics,
    partnerSecrets: new PartnerSecretCache(core.database.db, core.secretBox),
  };
  // The server owns the state gauges (open circuits, quarantine, dead-letter backlog).
  core.metrics.useDatabaseSnapshot(() => readDatabaseSnapshot(ctx.db));
  const depth = new OutboxDepth(ctx.db, config, core.logger, core.metrics);
  depth.start();
  const outbox: IngestOutbox = {
    overloaded: () => depth.overloaded(),
    // The ingest statement itself wakes the relays (persistEvents).
    committed: () => depth.recordPersisted(),
  };
  const app = createApp(ctx, outbox);
  const server = createHttpServer(app, config.http);
  answerClientErrors(server, core.logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = config.http.publicUrl ?? `http://${host}:${port}`;
  core.logger.info({ url }, 'API server listening');
  return {
    url,
    port,
    ctx,
    outbox,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      depth.stop();
      await temporal.connection.close();
    },
  };
}

/**
 * Deliberate timeouts instead of Node's (a 300 s request timeout, checked every 30 s): a client
 * that declares a body and stops sending, or trickles its headers, is answered 408 and cut off
 * within the configured time. Node checks them on an interval, here a quarter of the shortest.
 */
function createHttpServer(app: ReturnType<typeof createApp>, http: CoreServices['config']['http']): Server {
  const server = createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(http.headersTimeoutMs / 4))),
    },
    app,
  );
  // Keep-alive longer than typical load balancer idle timeouts avoids spurious 502s.
  server.keepAliveTimeout = http.keepAliveTimeoutMs;
  return server;
}
