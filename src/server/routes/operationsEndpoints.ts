import type { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import { EndpointId } from '../../idSchemas';
import { CreateOperationsEndpointBody, ListOperationsEndpointsQuery } from '../../operational/operationsEndpointSchemas';
import { deletePartnerOperationsEndpoint, getPartnerOperationsEndpoint, listPartnerOperationsEndpoints } from '../../operational/operationsEndpoints';
import { targetPartnerId } from '../../tenancy/access';
import { assertDestinationUrl } from '../../tenancy/destinationUrl';
import { CreatedEndpointSchema, EndpointSchema, endpointToWire } from '../../tenancy/endpointSchemas';
import { insertEndpoint } from '../../tenancy/endpoints';
import { activePublicKeys } from '../../tenancy/secrets';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { assertAuthUrl } from './endpoints';

const TAG = 'Operations';
const BASE = '/v1/operations-endpoints';
const OperationsEndpointPath = z.strictObject({ endpoint_id: EndpointId });

/**
 * A partner's own operations endpoints: every operational event of the partner, delivered like a
 * tenant delivery (signed, retried, dead-lettered, redriven with /v1/deliveries/.../redrive).
 */
export function operationsEndpointRoutes(router: Router, ctx: AppContext): void {
  createOperationsEndpointRoute(router, ctx);
  listAndDeleteOperationsEndpointRoutes(router, ctx);
}

function createOperationsEndpointRoute(router: Router, ctx: AppContext): void {
  const { db, secretBox, config } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: BASE,
      summary: "Register one of the partner's operations endpoints; returns its signing secret once",
      description: 'Receives every operational event of the partner (GET /v1/operational-events), signed like a tenant delivery. Events about an operations endpoint are never delivered (no loop).',
      tag: TAG,
      auth: 'partner',
      body: CreateOperationsEndpointBody,
      responses: { 201: { description: 'Created', schema: CreatedEndpointSchema }, 404: { description: '`partner_id` names no partner visible to this key' } },
    },
    async ({ principal, body, req }) => {
      const { partner_id: requested, ...input } = body;
      const partnerId = await targetPartnerId(db, principal, requested);
      assertDestinationUrl('url', input.url, config.allowPrivateNetwork);
      assertAuthUrl(input.auth, config.allowPrivateNetwork);
      const { id, secret } = await audited(
        db,
        actorOf(principal, req),
        (trx) => insertEndpoint(trx, secretBox, partnerId, null, { ...input, purpose: 'operations' }),
        (e) => ({ action: 'endpoint.created', partnerId, tenantId: null, target: { type: 'endpoint', id: e.id } }),
      );
      const endpoint = await getPartnerOperationsEndpoint(db, partnerId, id);
      return { status: 201, body: { ...endpointToWire(endpoint, await activePublicKeys(db, id)), ...(secret ? { secret } : {}) } };
    },
  );
}

function listAndDeleteOperationsEndpointRoutes(router: Router, ctx: AppContext): void {
  const { db } = ctx;
  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: BASE,
      summary: "List the partner's own operations endpoints",
      tag: TAG,
      auth: 'partner',
      query: ListOperationsEndpointsQuery,
      responses: { 200: { description: 'The endpoints', schema: z.object({ data: z.array(EndpointSchema) }) }, 404: { description: '`partner_id` names no partner visible to this key' } },
    },
    async ({ principal, query }) => {
      const partnerId = await targetPartnerId(db, principal, query.partner_id);
      const rows = await listPartnerOperationsEndpoints(db, partnerId);
      return { status: 200, body: { data: rows.map((e) => endpointToWire(e)) } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: `${BASE}/:endpoint_id`,
      params: OperationsEndpointPath,
      summary: "Delete one of the partner's operations endpoints",
      tag: TAG,
      auth: 'partner',
      query: ListOperationsEndpointsQuery,
      responses: { 204: { description: 'Deleted' }, 404: { description: '`partner_id` names no partner visible to this key, or the partner has no such operations endpoint' } },
    },
    async ({ principal, params, query, req }) => {
      const partnerId = await targetPartnerId(db, principal, query.partner_id);
      await audited(
        db,
        actorOf(principal, req),
        (trx) => deletePartnerOperationsEndpoint(trx, partnerId, params.endpoint_id),
        () => ({ action: 'endpoint.deleted', partnerId, tenantId: null, target: { type: 'endpoint', id: params.endpoint_id } }),
      );
      return { status: 204 };
    },
  );
}
