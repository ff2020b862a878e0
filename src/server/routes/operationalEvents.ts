import type { Router } from 'express';
import { listOperationalEvents, operationalEventToWire } from '../../operational/listOperationalEvents';
import { ListOperationalEventsQuery, OperationalEventListSchema } from '../../operational/operationalEventSchemas';
import { rowScope } from '../../operator/principalScope';
import { page } from '../../tenancy/wireCommon';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { operationsEndpointRoutes } from './operationsEndpoints';

/** Operational events (the catalogue in src/operational): admin all, a partner its own, a tenant its own endpoints'. */
export function operationalEventRoutes(router: Router, ctx: AppContext): void {
  operationsEndpointRoutes(router, ctx);
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/operational-events',
      summary: 'Operational events (endpoint disabled, circuit opened, delivery dead-lettered, incidents, quarantine), newest first',
      description: 'Admin: every partner; a partner key: its own partner; a tenant key: the events about its own endpoints and deliveries.',
      tag: 'Operations',
      auth: 'any',
      query: ListOperationalEventsQuery,
      responses: { 200: { description: 'A page of operational events', schema: OperationalEventListSchema } },
    },
    async ({ query, principal }) => {
      const rows = await listOperationalEvents(ctx.db, rowScope(principal), {
        type: query.type,
        partnerId: query.partner_id,
        tenantId: query.tenant_id,
        since: query.since,
        until: query.until,
        limit: query.limit,
        after: query.after,
      });
      const p = page(rows.map(operationalEventToWire), query.limit);
      return { status: 200, body: { data: p.data, next_after: p.next_after } };
    },
  );
}
