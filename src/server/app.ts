import express, { Router, type Express } from 'express';
import type { AppContext } from './context';
import { errorMiddleware, notFoundHandler } from './errorMiddleware';
import { healthRoutes } from './routes/health';
import { incidentRoutes } from './routes/incidents';
import { ingestRoutes, type IngestOutbox } from './routes/ingest';
import { metaRoutes } from './routes/meta';
import { tenancyRoutes } from './routes/tenancy';
import { deliveryRoutes } from './routes/deliveries';
import { eventRoutes } from './routes/events';
import { quarantineRoutes } from './routes/quarantine';
import { reconciliationRoutes } from './routes/reconciliations';
import { VOICE_SESSIONS_PATH, voiceSessionRoutes, voiceSessionsBodyParser } from './routes/voiceSessions';

/** The HTTP API: ingest, admin/tenancy API, health, metrics and the OpenAPI document. */
export function createApp(ctx: AppContext, outbox: IngestOutbox): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

  const router = Router();
  healthRoutes(router, ctx);
  metaRoutes(router, ctx);
  // Ingest reads the raw body itself (signatures are over the exact bytes): mount before json().
  ingestRoutes(router, ctx, outbox);
  // Bulk call-log uploads (10,000 rows) need more than the general 1 MiB.
  router.post(VOICE_SESSIONS_PATH, voiceSessionsBodyParser);
  router.use(express.json({ limit: '1mb', strict: true }));
  registerApiRoutes(router, ctx);

  app.use(router);
  app.use(notFoundHandler);
  app.use(errorMiddleware(ctx.logger));
  return app;
}

/** The JSON API beyond ingest (tenancy, events, deliveries, quarantine, reconciliation). */
function registerApiRoutes(router: Router, ctx: AppContext): void {
  // Filled in by the tenancy / delivery / reconciliation route modules.
  tenancyRoutes(router, ctx);
  eventRoutes(router, ctx);
  deliveryRoutes(router, ctx);
  quarantineRoutes(router, ctx);
  voiceSessionRoutes(router, ctx);
  reconciliationRoutes(router, ctx);
  incidentRoutes(router, ctx);
}
