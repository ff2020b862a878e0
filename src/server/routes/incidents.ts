import type { Router } from 'express';
import { z } from 'zod';
import { IncidentId, PartnerId } from '../../idSchemas';
import { listQuery, PageMeta, Text } from '../../tenancy/wireCommon';
import { listIncidents, resolveIncident } from '../../reconciliation/incidents';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
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

export const ListIncidentsQuerySchema = listQuery(IncidentId).extend({
  status: z.enum(['open', 'resolved']).optional(),
  partner_id: PartnerId.optional().meta({ description: 'Admin only: one partner (default all); a partner key may only name itself and always sees its own' }),
});

export const ResolveIncidentSchema = z.strictObject({ note: Text().max(2000).optional() }).meta({ id: 'ResolveIncident' });

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
      responses: { 200: { description: 'Incidents', schema: z.object({ data: z.array(IncidentSchema), ...PageMeta }) } },
    },
    async ({ query, principal }) => {
      const partnerId = partnerScope(principal, query.partner_id);
      const p = await listIncidents(ctx.db, { partnerId: partnerId ?? undefined, status: query.status, limit: query.limit, after: query.after });
      return { status: 200, body: { data: p.data.map(toIncident), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/incidents/:id/resolve',
      params: z.object({ id: IncidentId }),
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
    async ({ params, body, principal, req }) => {
      const row = await audited(
        ctx.db,
        actorOf(principal, req),
        (trx) =>
          resolveIncident(
            { db: trx, logger: ctx.logger },
            { id: params.id, note: body.note, by: principal.kind, scopePartnerId: principal.kind === 'partner' ? principal.partnerId : undefined },
          ),
        (i) => ({ action: 'incident.resolved', partnerId: i.partner_id, target: { type: 'incident', id: i.id } }),
      );
      return { status: 200, body: toIncident(row) };
    },
  );
}
