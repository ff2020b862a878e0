import type { Router } from 'express';
import { z } from 'zod';
import { EndpointId } from '../../idSchemas';
import { endpointStats } from '../../operator/endpointStats';
import { visibleTenant } from '../../tenancy/access';
import { getEndpoint } from '../../tenancy/endpoints';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { TenantPath } from './tenants';

const Bucket = z.object({
  start: z.iso.datetime(),
  attempts: z.number().int(),
  succeeded: z.number().int(),
  p50_ms: z.number().int().nullable(),
  p95_ms: z.number().int().nullable(),
});

const EndpointStatsSchema = z
  .object({
    endpoint_id: z.string(),
    hours: z.number().int(),
    attempts: z.number().int(),
    succeeded: z.number().int(),
    success_rate: z.number().nullable().describe('succeeded / attempts over the window; null without attempts'),
    buckets: z.array(Bucket).describe('One per hour, oldest first'),
  })
  .meta({ id: 'EndpointStats' });

/** Per-endpoint delivery health for the console's charts (and any client). */
export function endpointStatsRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/tenants/:tenant_id/endpoints/:endpoint_id/stats',
      params: TenantPath.extend({ endpoint_id: EndpointId }),
      query: z.strictObject({ hours: z.coerce.number().int().min(1).max(168).default(24) }),
      summary: "An endpoint's delivery attempts per hour: count, 2xx share, p50/p95 latency",
      tag: 'Endpoints',
      auth: 'partner_or_tenant',
      responses: { 200: { description: 'Hourly buckets over the window', schema: EndpointStatsSchema } },
    },
    async ({ params, query, principal }) => {
      const tenant = await visibleTenant(ctx.db, principal, params.tenant_id);
      const endpoint = await getEndpoint(ctx.db, tenant.id, params.endpoint_id);
      const buckets = await endpointStats(ctx.db, endpoint.id, query.hours);
      const attempts = buckets.reduce((n, b) => n + b.attempts, 0);
      const succeeded = buckets.reduce((n, b) => n + b.succeeded, 0);
      return {
        status: 200,
        body: { endpoint_id: endpoint.id, hours: query.hours, attempts, succeeded, success_rate: attempts ? succeeded / attempts : null, buckets },
      };
    },
  );
}
