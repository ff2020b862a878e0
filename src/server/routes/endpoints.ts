import type { Router } from 'express';
import { EndpointId } from '../../idSchemas';
import { ConflictError } from '../../errors';
import { visibleTenant } from '../../tenancy/access';
import { assertDestinationUrl } from '../../tenancy/destinationUrl';
import {
  CreatedEndpointSchema,
  CreateEndpointBody,
  EndpointListSchema,
  EndpointSchema,
  endpointToWire,
  RotateEndpointSecretBody,
  RotatedEndpointSecretSchema,
  TestDeliverySchema,
  UpdateEndpointBody,
} from '../../tenancy/endpointSchemas';
import { deleteEndpoint, getEndpoint, insertEndpoint, listEndpoints, updateEndpoint, updateSignatureScheme } from '../../tenancy/endpoints';
import { activePublicKeys, activePublicKeysOf, rotateSigningSecret } from '../../tenancy/secrets';
import type { EndpointAuthInput } from '../../tenancy/endpointAuthSchemas';
import { sendTestEvent } from '../../tenancy/testDelivery';
import { listQuery, page } from '../../tenancy/wireCommon';
import { FilterTestBody, FilterTestResultSchema, testFilter } from '../../filters/filterTest';
import { actorOf } from '../../audit/auditActor';
import { recordAudit } from '../../audit/recordAudit';
import { audited } from '../../audit/audited';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { TenantPath } from './tenants';

const TAG = 'Endpoints';
const BASE = '/v1/tenants/:tenant_id/endpoints';
const EndpointPath = TenantPath.extend({ endpoint_id: EndpointId });

/** An OAuth2 token URL is somewhere Switchboard will POST to: the same address rules as the endpoint URL. */
export function assertAuthUrl(auth: EndpointAuthInput | null | undefined, allowPrivateNetwork: boolean): void {
  if (auth?.type === 'oauth2_client_credentials') assertDestinationUrl('auth.token_url', auth.token_url, allowPrivateNetwork);
}

/** A tenant's delivery endpoints: managed by its partner or the tenant itself. */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function endpointRoutes(router: Router, ctx: AppContext): void {
  const { db, secretBox, config } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: BASE,
      params: TenantPath,
      summary: 'Register an endpoint; returns its whsec_ signing secret once',
      tag: TAG,
      auth: 'partner_or_tenant',
      body: CreateEndpointBody,
      responses: { 201: { description: 'Created', schema: CreatedEndpointSchema } },
    },
    async ({ params, principal, body, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      assertDestinationUrl('url', body.url, config.allowPrivateNetwork);
      assertAuthUrl(body.auth, config.allowPrivateNetwork);
      const { id, secret } = await audited(
        db,
        actorOf(principal, req),
        (trx) => insertEndpoint(trx, secretBox, tenant.partner_id, tenant.id, body),
        (e) => ({ action: 'endpoint.created', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'endpoint', id: e.id } }),
      );
      const endpoint = await getEndpoint(db, tenant.id, id);
      return { status: 201, body: { ...endpointToWire(endpoint, await activePublicKeys(db, id)), ...(secret ? { secret } : {}) } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: BASE,
      params: TenantPath,
      summary: "List a tenant's endpoints",
      tag: TAG,
      auth: 'partner_or_tenant',
      query: listQuery(EndpointId),
      responses: { 200: { description: 'A page of endpoints', schema: EndpointListSchema } },
    },
    async ({ params, principal, query }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const p = page(await listEndpoints(db, tenant.id, query), query.limit);
      const keys = await activePublicKeysOf(db, p.data.filter((e) => e.signature_scheme === 'v1a').map((e) => e.id));
      return { status: 200, body: { data: p.data.map((e) => endpointToWire(e, keys.get(e.id))), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: `${BASE}/:endpoint_id`,
      params: EndpointPath,
      summary: 'Get an endpoint (never its secret)',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: { 200: { description: 'The endpoint', schema: EndpointSchema } },
    },
    async ({ params, principal }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const endpoint = await getEndpoint(db, tenant.id, params.endpoint_id);
      return { status: 200, body: endpointToWire(endpoint, await activePublicKeys(db, endpoint.id)) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'patch',
      path: `${BASE}/:endpoint_id`,
      params: EndpointPath,
      summary: 'Update url, event_types, enabled, description, limits, headers, auth, filter or retry schedule (enabling also closes the circuit; headers/auth/filter null clears)',
      tag: TAG,
      auth: 'partner_or_tenant',
      body: UpdateEndpointBody,
      responses: { 200: { description: 'The updated endpoint', schema: EndpointSchema } },
    },
    async ({ params, principal, body, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      if (body.url !== undefined) assertDestinationUrl('url', body.url, config.allowPrivateNetwork);
      assertAuthUrl(body.auth, config.allowPrivateNetwork);
      const updated = await audited(
        db,
        actorOf(principal, req),
        (trx) => updateEndpoint(trx, secretBox, tenant.id, params.endpoint_id, body),
        (e) => ({ action: 'endpoint.updated', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'endpoint', id: e.id }, detail: { fields: Object.keys(body).sort() } }),
      );
      return { status: 200, body: endpointToWire(updated, await activePublicKeys(db, updated.id)) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: `${BASE}/:endpoint_id`,
      params: EndpointPath,
      summary: 'Delete an endpoint (pending deliveries to it stop)',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, principal, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      await audited(
        db,
        actorOf(principal, req),
        (trx) => deleteEndpoint(trx, tenant.id, params.endpoint_id),
        () => ({ action: 'endpoint.deleted', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'endpoint', id: params.endpoint_id } }),
      );
      return { status: 204 };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: `${BASE}/:endpoint_id/rotate-secret`,
      params: EndpointPath,
      summary: 'Rotate the signing secret or key (optionally switching v1/v1a); deliveries carry signatures with both for the grace period (default 24 h)',
      tag: TAG,
      auth: 'partner_or_tenant',
      body: RotateEndpointSecretBody,
      responses: { 200: { description: 'The new secret, shown only now', schema: RotatedEndpointSecretSchema } },
    },
    async ({ params, principal, body, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const endpoint = await getEndpoint(db, tenant.id, params.endpoint_id);
      const graceMs = body.grace_period_seconds !== undefined ? body.grace_period_seconds * 1000 : config.secretRotationGraceMs;
      const scheme = body.signature_scheme ?? endpoint.signature_scheme;
      const r = await audited(
        db,
        actorOf(principal, req),
        async (trx) => {
          const rotated = await rotateSigningSecret(trx, secretBox, 'endpoint', endpoint.id, graceMs, scheme);
          if (scheme !== endpoint.signature_scheme) await updateSignatureScheme(trx, endpoint.id, scheme);
          return rotated;
        },
        () => ({ action: 'endpoint.secret_rotated', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'endpoint', id: endpoint.id }, detail: { grace_ms: graceMs, signature_scheme: scheme } }),
      );
      return {
        status: 200,
        body: {
          ...(r.secret ? { secret: r.secret } : {}),
          ...(r.publicKey ? { public_key: r.publicKey } : {}),
          signature_scheme: scheme,
          previous_secret_expires_at: r.previousExpiresAt.toISOString(),
        },
      };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: `${BASE}/:endpoint_id/test`,
      params: EndpointPath,
      summary: 'Deliver a switchboard.test event to this endpoint now, through the normal signed delivery path',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: {
        202: { description: 'Stored and handed to its delivery workflow', schema: TestDeliverySchema },
        409: { description: 'The endpoint is disabled' },
      },
    },
    async ({ params, principal, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const endpoint = await getEndpoint(db, tenant.id, params.endpoint_id);
      if (!endpoint.enabled) throw new ConflictError('endpoint is disabled; enable it (PATCH enabled=true) before testing');
      const sent = await sendTestEvent(db, ctx.temporal, config, endpoint);
      await recordAudit(db, actorOf(principal, req), { action: 'endpoint.tested', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'endpoint', id: endpoint.id }, detail: { event_id: sent.event_id, delivery_id: sent.delivery_id } });
      return { status: 202, body: sent };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/tenants/:tenant_id/filters/test',
      params: TenantPath,
      summary: 'Test a payload filter against a sample event or a stored event of this tenant (the same evaluation as delivery planning)',
      tag: TAG,
      auth: 'partner_or_tenant',
      body: FilterTestBody,
      responses: { 200: { description: 'Whether the filter matches, and the document it was evaluated against', schema: FilterTestResultSchema } },
    },
    async ({ params, principal, body }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      return { status: 200, body: await testFilter(db, tenant.id, body) };
    },
  );
}
