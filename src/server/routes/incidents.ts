import type { Router } from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../errors';
import type { AppContext } from '../context';
import { partnerScope } from '../partnerScope';
import { defineRoute } from '../route';

export const IncidentSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    reconciliation_run_id: z.string().nullable(),
    kind: z.string(),
    severity: z.enum(['warning', 'major', 'critical']),
    status: z.enum(['open', 'resolved']),
    summary: z.string(),
    detail: z.record(z.string(), z.unknown()).meta({ description: 'window, terminal_calls, missing, ratio, threshold, sample_call_ids, ...' }),
    created_at: z.string(),
    resolved_at: z.string().nullable(),
    resolution_note: z.string().nullable(),
  })
  .meta({ id: 'Incident' });

export const ListIncidentsQuerySchema = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  partner_id: z.string().min(1).optional().meta({ description: 'Admin only; partner keys always see their own' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const ResolveIncidentSchema = z.strictObject({ note: z.string().max(2000).optional() }).meta({ id: 'ResolveIncident' });

type IncidentRow = {
  id: string;
  partner_id: string;
  reconciliation_run_id: string | null;
  kind: string;
  severity: string;
  status: 'open' | 'resolved';
  summary: string;
  detail: Record<string, unknown>;
  created_at: Date;
  resolved_at: Date | null;
  resolution_note: string | null;
};

function toIncident(r: IncidentRow): z.infer<typeof IncidentSchema> {
  return {
    ...r,
    severity: r.severity as z.infer<typeof IncidentSchema>['severity'],
    created_at: r.created_at.toISOString(),
    resolved_at: r.resolved_at?.toISOString() ?? null,
  };
}

export function incidentRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/incidents',
      summary: 'Incidents raised by reconciliation, newest first (admin: all; partner: its own)',
      tag: 'Reconciliation',
      auth: 'partner',
      query: ListIncidentsQuerySchema,
      responses: { 200: { description: 'Incidents', schema: z.object({ data: z.array(IncidentSchema) }) } },
    },
    async ({ query, principal }) => {
      const partnerId = partnerScope(principal, query.partner_id);
      let q = ctx.db.selectFrom('incidents').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit);
      if (partnerId) q = q.where('partner_id', '=', partnerId);
      if (query.status) q = q.where('status', '=', query.status);
      const rows = await q.execute();
      return { status: 200, body: { data: rows.map(toIncident) } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/incidents/:id/resolve',
      summary: 'Resolve an open incident, with an optional note',
      tag: 'Reconciliation',
      auth: 'partner',
      body: ResolveIncidentSchema,
      responses: {
        200: { description: 'Resolved', schema: IncidentSchema },
        404: { description: 'No such incident (or not yours)' },
        409: { description: 'Already resolved' },
      },
    },
    async ({ params, body, principal }) => {
      const id = params['id']!;
      const existing = await ctx.db.selectFrom('incidents').select(['id', 'partner_id', 'status']).where('id', '=', id).executeTakeFirst();
      if (!existing || (principal.kind === 'partner' && existing.partner_id !== principal.partnerId)) throw new NotFoundError('incident');
      const row = await ctx.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('incidents')
          .set({ status: 'resolved', resolved_at: sql`now()`, resolution_note: body.note ?? null })
          .where('id', '=', id)
          .where('status', '=', 'open')
          .returningAll()
          .executeTakeFirst();
        if (!updated) return undefined;
        await trx
          .insertInto('operational_events')
          .values({ partner_id: updated.partner_id, tenant_id: null, type: 'incident.resolved', detail: JSON.stringify({ incident_id: id, note: body.note ?? null, by: principal.kind }) })
          .execute();
        return updated;
      });
      if (!row) throw new ConflictError('incident is already resolved');
      ctx.logger.info({ incident_id: id, partner_id: row.partner_id, by: principal.kind }, 'incident resolved');
      return { status: 200, body: toIncident(row) };
    },
  );
}
