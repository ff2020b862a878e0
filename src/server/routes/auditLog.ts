import type { Router } from 'express';
import { AuditListSchema, ListAuditQuery } from '../../audit/auditSchemas';
import { auditToWire, listAudit } from '../../audit/listAudit';
import { page } from '../../tenancy/wireCommon';
import type { AppContext } from '../context';
import { partnerScope } from '../partnerScope';
import { defineRoute } from '../route';

/** The audit log: read-only, admin all partners, a partner key its own. */
export function auditLogRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/audit-log',
      summary: 'Privileged actions (keys, endpoints, secrets, redrives, quarantine, reconciliation, incidents), newest first',
      description: 'Admin: every partner (or `partner_id`); a partner key: its own partner only. Records are append-only and kept for RETENTION.',
      tag: 'Audit',
      auth: 'partner',
      query: ListAuditQuery,
      responses: { 200: { description: 'A page of audit records', schema: AuditListSchema } },
    },
    async ({ query, principal }) => {
      const partnerId = partnerScope(principal, query.partner_id) ?? undefined;
      const rows = await listAudit(ctx.db, {
        partnerId,
        tenantId: query.tenant_id,
        action: query.action,
        actorKeyId: query.actor_key_id,
        targetId: query.target_id,
        since: query.since,
        until: query.until,
        limit: query.limit,
        after: query.after,
      });
      const p = page(rows, query.limit);
      return { status: 200, body: { data: p.data.map(auditToWire), next_after: p.next_after } };
    },
  );
}
