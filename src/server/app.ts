import express, { Router, type Express } from 'express';
import { assignRequestId } from '../audit/auditActor';
import type { AppContext } from './context';
import { errorMiddleware, notFoundHandler } from './errorMiddleware';
import { methodNotAllowed } from './methodNotAllowed';
import { rejectUndecodablePath } from './pathEncoding';
import { auditLogRoutes } from './routes/auditLog';
import { partnerIngestRefusalRoutes } from './routes/partnerIngestRefusals';
import { healthRoutes } from './routes/health';
import { incidentRoutes } from './routes/incidents';
import { ingestRoutes, type IngestOutbox } from './routes/ingest';
import { metaRoutes } from './routes/meta';
import { operationalEventRoutes } from './routes/operationalEvents';
import { sourceIngestRoutes } from './routes/sourceIngest';
import { sourceRoutes } from './routes/sources';
import { SourceCache } from '../sources/sourceCache';
import { activeTracing } from '../telemetry/tracing';
import { tenancyRoutes } from './routes/tenancy';
import { deliveryRoutes } from './routes/deliveries';
import { eventRoutes } from './routes/events';
import { quarantineRoutes } from './routes/quarantine';
import { reconciliationRoutes } from './routes/reconciliations';
import { voiceSessionRoutes } from './routes/voiceSessions';
import { consoleRoutes } from './routes/console';
import { endpointStatsRoutes } from './routes/endpointStats';
import { consoleAssets } from './consoleAssets';

/**
 * The HTTP API: ingest, admin/tenancy API, health, metrics and the OpenAPI document. No body
 * parser is mounted: each route reads its own body (ingest the raw bytes it verifies, the JSON
 * routes through the same strict reader), after the path, content type and key were checked.
 */
export function createApp(ctx: AppContext, outbox: IngestOutbox): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.http.trustedProxies);
  app.use(rejectUndecodablePath);
  app.use(assignRequestId);
  // Ingest's server spans (off unless tracing is configured: src/telemetry/tracing.ts).
  const tracing = activeTracing();
  if (tracing) app.use(['/v1/webhooks', '/v1/sources'], tracing.requestSpans);
  app.use(consoleAssets());

  const router = Router();
  healthRoutes(router, ctx);
  metaRoutes(router, ctx);
  const ingest = ingestRoutes(router, ctx, outbox);
  const sources = new SourceCache(ctx.db, ctx.secretBox);
  sourceIngestRoutes(router, ctx, outbox, ingest, sources);
  registerApiRoutes(router, ctx);
  sourceRoutes(router, ctx, sources);

  app.use(router);
  app.use(methodNotAllowed());
  app.use(notFoundHandler);
  app.use(errorMiddleware(ctx.logger));
  return app;
}

/** The JSON API beyond ingest (tenancy, events, deliveries, quarantine, reconciliation). */
function registerApiRoutes(router: Router, ctx: AppContext): void {
  tenancyRoutes(router, ctx);
  eventRoutes(router, ctx);
  deliveryRoutes(router, ctx);
  quarantineRoutes(router, ctx);
  voiceSessionRoutes(router, ctx);
  reconciliationRoutes(router, ctx);
  incidentRoutes(router, ctx);
  consoleRoutes(router, ctx);
  endpointStatsRoutes(router, ctx);
  auditLogRoutes(router, ctx);
  operationalEventRoutes(router, ctx);
  partnerIngestRefusalRoutes(router, ctx);
}
