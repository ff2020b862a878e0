import type { Router } from 'express';
import { NotFoundError } from '../../errors';
import { listIngestRefusals, refusalToWire } from '../../refusals/listRefusals';
import { IngestRefusalListSchema, IngestRefusalPath, ListIngestRefusalsQuery } from '../../refusals/refusalSchemas';
import { canSeePartner } from '../../tenancy/access';
import { getPartner } from '../../tenancy/partners';
import { page } from '../../tenancy/wireCommon';
import type { AppContext } from '../context';
import { defineRoute } from '../route';

/** Why a partner's POSTs to the default ingest route were refused: the partner's own, or any for the admin key. */
export function partnerIngestRefusalRoutes(router: Router, ctx: AppContext): void {
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/partners/:partner_id/ingest-refusals',
      params: IngestRefusalPath,
      summary: 'Refused POSTs to /v1/webhooks/{partner_id} (signature, timestamp, body, schema, size, rate), newest first',
      description:
        'A bounded sample (at most 20 at once, then one every 6 s per partner; the rest counted in `dropped_before`), ' +
        'kept for RETENTION. No body is stored. Unknown partners (404) and 503s are not recorded. ' +
        "A source's refusals are its receipts (`/v1/partners/{partner_id}/sources/{source_id}/receipts`).",
      tag: 'Ingest',
      auth: 'partner',
      query: ListIngestRefusalsQuery,
      responses: { 200: { description: 'A page of refusals', schema: IngestRefusalListSchema } },
    },
    async ({ params, principal, query }) => {
      if (!canSeePartner(principal, params.partner_id) || !(await getPartner(ctx.db, params.partner_id))) throw new NotFoundError('partner');
      const p = page(await listIngestRefusals(ctx.db, params.partner_id, query), query.limit);
      return { status: 200, body: { data: p.data.map(refusalToWire), next_after: p.next_after } };
    },
  );
}
