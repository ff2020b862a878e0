import type { Router } from 'express';
import { z } from 'zod';
import { rowScope } from '../../operator/principalScope';
import { discardQuarantined, listQuarantine, releaseQuarantined } from '../../operator/quarantineReview';
import { QuarantineId, TenantId } from '../../idSchemas';
import { actorOf } from '../../audit/auditActor';
import { auditQuarantineDecision } from '../../audit/auditSubjects';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { listQuery, PageMeta } from '../../tenancy/wireCommon';
import { QuarantineItemSchema } from './deliverySchemas';

const ListQuery = listQuery(QuarantineId).extend({
  status: z.enum(['open', 'released', 'discarded']).optional(),
  // Larger than other lists' 500: this list allowed 1000 before it had pages.
  limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: 'Page size (default 100, max 1000)' }),
});

const ReleaseBody = z.strictObject({ tenant_id: TenantId.meta({ description: 'One of your tenants' }) }).meta({ id: 'QuarantineReleaseRequest' });
const QuarantinePath = z.object({ quarantine_id: QuarantineId });

const ReleaseResult = z
  .object({ id: z.string(), event_id: z.string(), status: z.literal('released'), tenant_id: z.string(), workflow_id: z.string() })
  .meta({ id: 'QuarantineReleased' });
const DiscardResult = z.object({ id: z.string(), event_id: z.string(), status: z.literal('discarded') }).meta({ id: 'QuarantineDiscarded' });

/** Quarantine review is the partner's job (a tenant key never sees events that have no tenant). */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function quarantineRoutes(router: Router, ctx: AppContext): void {
  const deps = { db: ctx.db, temporal: ctx.temporal, config: ctx.config, logger: ctx.logger };

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/quarantine',
      summary: 'Quarantined events (conflicting keys, foreign tenant, unroutable)',
      tag: 'Quarantine',
      auth: 'partner',
      query: ListQuery,
      responses: { 200: { description: 'Quarantine', schema: z.object({ data: z.array(QuarantineItemSchema), ...PageMeta }) } },
    },
    async ({ query, principal }) => ({ status: 200, body: await listQuarantine(ctx.db, rowScope(principal), query) }),
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/quarantine/:quarantine_id/release',
      params: QuarantinePath,
      summary: 'Release a quarantined event to one of your tenants (runs its event workflow again)',
      tag: 'Quarantine',
      auth: 'partner',
      body: ReleaseBody,
      responses: {
        202: { description: 'Released; delivery started', schema: ReleaseResult },
        404: { description: 'No such quarantined event' },
        409: { description: 'Already released or discarded' },
        422: { description: 'tenant_id is not one of your tenants' },
      },
    },
    async ({ params, body, principal, req }) => {
      const released = await releaseQuarantined(deps, params.quarantine_id, body.tenant_id, rowScope(principal));
      await auditQuarantineDecision(ctx.db, actorOf(principal, req), released);
      return { status: 202, body: released };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/quarantine/:quarantine_id/discard',
      params: QuarantinePath,
      summary: 'Discard a quarantined event (kept for audit, never delivered)',
      tag: 'Quarantine',
      auth: 'partner',
      responses: {
        200: { description: 'Discarded', schema: DiscardResult },
        404: { description: 'No such quarantined event' },
        409: { description: 'Already released or discarded' },
      },
    },
    async ({ params, principal, req }) => {
      const discarded = await discardQuarantined(ctx.db, params.quarantine_id, rowScope(principal));
      await auditQuarantineDecision(ctx.db, actorOf(principal, req), discarded);
      return { status: 200, body: discarded };
    },
  );
}
