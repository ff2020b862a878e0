import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CoreServices } from '../bootstrap';
import { PartnerSecretCache } from '../ingest/partnerSecrets';
import { WorkflowStarter } from '../ingest/workflowStarter';
import { readDatabaseSnapshot } from '../metricsDatabaseSnapshot';
import { lazyClient } from '../temporal/connection';
import { createApp } from './app';
import type { AppContext } from './context';

export interface RunningServer {
  url: string;
  port: number;
  ctx: AppContext;
  starter: WorkflowStarter;
  close(): Promise<void>;
}

/**
 * Starts the HTTP API. It does not wait for Temporal: ingest must keep acknowledging (and
 * persisting) while Temporal is down; the outbox sweeper catches up when it is back.
 */
export async function startServer(core: CoreServices, opts: { sweeper?: boolean } = {}): Promise<RunningServer> {
  const { config } = core;
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
  const starter = new WorkflowStarter(ctx.db, temporal, config, core.logger, core.metrics);
  if (opts.sweeper !== false) starter.startSweeper();
  const app = createApp(ctx, starter);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s));
    s.once('error', reject);
  });
  // Keep-alive longer than typical load balancer idle timeouts avoids spurious 502s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  const url = config.http.publicUrl ?? `http://${host}:${port}`;
  core.logger.info({ url }, 'API server listening');
  return {
    url,
    port,
    ctx,
    starter,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await starter.stop();
      await temporal.connection.close();
    },
  };
}
