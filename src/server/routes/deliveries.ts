import type { Router } from 'express';
import { z } from 'zod';
import { listDeliveries } from '../../operator/eventView';
import { rowScope } from '../../operator/principalScope';
import { redriveDelivery, redriveMatching } from '../../operator/redrive';
import { NotFoundError } from '../../errors';
import { DeliveryId, EndpointId, TenantId } from '../../idSchemas';
import { actorOf } from '../../audit/auditActor';
import { auditRedrive } from '../../audit/auditSubjects';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { PageMeta, Text } from '../../tenancy/wireCommon';
import { DeliveryCursorParam } from '../../operator/deliveryCursor';
import { DeliverySchema, DeliveryStatusSchema, RedriveOutcomeSchema } from './deliverySchemas';

const ListQuery = z.strictObject({
  status: DeliveryStatusSchema.optional(),
  tenant_id: TenantId.optional(),
  endpoint_id: EndpointId.optional(),
  since: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z' })
    .optional()
    .meta({ description: 'Only deliveries updated at or after this time (ISO 8601 date-time)' }),
  until: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z' })
    .optional()
    .meta({ description: 'Only deliveries updated before this time (ISO 8601 date-time)' }),
  event_type: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:-]+$/, 'must be an event type, e.g. call.ended').optional(),
  call_id: Text().min(1).max(256).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: DeliveryCursorParam.optional(),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .optional()
    .meta({ deprecated: true, description: 'Deprecated: use `after`. Rows to skip; a delivery whose activity moves it meanwhile shifts every later page' }),
}).refine((q) => q.after === undefined || q.offset === undefined, { message: 'give after or offset, not both', path: ['offset'] });

const BulkRedriveBody = z
  .strictObject({
    tenant_id: TenantId.optional(),
    endpoint_id: EndpointId.optional(),
    status: z.literal('dead_lettered').default('dead_lettered').describe('Only dead-lettered deliveries can be redriven'),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .meta({ id: 'BulkRedriveRequest' });

// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function deliveryRoutes(router: Router, ctx: AppContext): void {
  const deps = { db: ctx.db, temporal: ctx.temporal, config: ctx.config, logger: ctx.logger };

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/deliveries',
      summary: 'Deliveries in your scope, newest activity first',
      description: 'Paged with `limit` and `after` (the `next_after` of the previous page). A delivery that changes while you page moves to the front and is not shown twice.',
      tag: 'Deliveries',
      auth: 'any',
      query: ListQuery,
      responses: { 200: { description: 'Deliveries', schema: z.object({ data: z.array(DeliverySchema), ...PageMeta }) } },
    },
    async ({ query, principal }) => {
      const filter = { ...query, since: query.since === undefined ? undefined : new Date(query.since), until: query.until === undefined ? undefined : new Date(query.until) };
      return { status: 200, body: await listDeliveries(ctx.db, filter, rowScope(principal)) };
    },
  );

  // Declared before `/:delivery_id/redrive` so "redrive" is never read as a delivery id.
  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/deliveries/redrive',
      summary: 'Redrive every dead-lettered delivery matching tenant/endpoint (idempotent)',
      description: 'The body may be omitted: every dead-lettered delivery in your scope (up to `limit`, default 100).',
      tag: 'Deliveries',
      auth: 'any',
      body: BulkRedriveBody,
      responses: { 202: { description: 'Redrives started', schema: z.object({ data: z.array(RedriveOutcomeSchema) }) } },
    },
    async ({ body, principal, req }) => {
      const outcomes = await redriveMatching(deps, { tenant_id: body.tenant_id, endpoint_id: body.endpoint_id, limit: body.limit }, rowScope(principal));
      for (const out of outcomes) if (out.redriven) await auditRedrive(ctx.db, actorOf(principal, req), out, true);
      return { status: 202, body: { data: outcomes } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/deliveries/:delivery_id/redrive',
      params: z.object({ delivery_id: DeliveryId }),
      summary: 'Re-run a dead-lettered delivery through the same path (same webhook-id); idempotent',
      tag: 'Deliveries',
      auth: 'any',
      responses: {
        202: { description: 'Redrive started', schema: RedriveOutcomeSchema },
        200: { description: 'Not dead-lettered (already redriven or delivered): nothing started', schema: RedriveOutcomeSchema },
        404: { description: 'No such delivery in your scope' },
      },
    },
    async ({ params, principal, req }) => {
      const out = await redriveDelivery(deps, params.delivery_id, rowScope(principal));
      if (!out) throw new NotFoundError(`delivery ${params.delivery_id}`);
      if (out.redriven) await auditRedrive(ctx.db, actorOf(principal, req), out, false);
      return { status: out.redriven ? 202 : 200, body: out };
    },
  );
}
