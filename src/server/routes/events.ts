import type { Router } from 'express';
import { z } from 'zod';
import { loadEventView } from '../../operator/eventView';
import { nextAttemptAt } from '../../operator/nextAttempts';
import { deliveredBody } from '../../operator/deliveredBody';
import { rowScope } from '../../operator/principalScope';
import { NotFoundError } from '../../errors';
import { EventId } from '../../idSchemas';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { EventViewSchema } from './deliverySchemas';

/** Statuses in which a delivery workflow may be waiting for its next attempt. */
const RETRYING = new Set(['delivering', 'waiting_circuit']);

export function eventRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/events/:event_id',
      params: z.object({ event_id: EventId }),
      summary: 'An event with its checkpoints, deliveries and every delivery attempt',
      tag: 'Events',
      auth: 'any',
      responses: { 200: { description: 'The event', schema: EventViewSchema }, 404: { description: 'No such event in your scope' } },
    },
    async ({ params, principal }) => {
      const view = await loadEventView(ctx.db, params.event_id, rowScope(principal));
      // Out of scope reads as absent: a tenant must not learn that another tenant's event exists.
      if (!view) throw new NotFoundError(`event ${params.event_id}`);
      const deliveries = await Promise.all(
        view.deliveries.map(async (d) => ({
          ...d,
          next_attempt_at: RETRYING.has(d.status) && d.workflow_id ? ((await nextAttemptAt(ctx.temporal, d.workflow_id)) ?? null) : null,
        })),
      );
      return { status: 200, body: { ...view, delivered_body: await deliveredBody(ctx.db, view.id), deliveries } };
    },
  );
}
