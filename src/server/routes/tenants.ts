import type { Router } from 'express';
import { z } from 'zod';
import { TenantId } from '../../idSchemas';
import { visibleTenant, targetPartnerId } from '../../tenancy/access';
import { createTenant, deleteTenant, listTenants, renameTenant } from '../../tenancy/tenants';
import { CreatedTenantSchema, CreateTenantBody, ListTenantsQuery, TenantListSchema, TenantSchema, tenantToWire, UpdateTenantBody } from '../../tenancy/tenantSchemas';
import { page } from '../../tenancy/wireCommon';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import type { AppContext } from '../context';
import { defineRoute } from '../route';

const TAG = 'Tenants';
export const TenantPath = z.object({ tenant_id: TenantId });

/** Tenants: provisioned by their partner; a tenant key may read itself. */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function tenantRoutes(router: Router, ctx: AppContext): void {
  const { db } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/tenants',
      summary: 'Create a tenant with its first tenant API key (partner; admin must name partner_id)',
      tag: TAG,
      auth: 'partner',
      body: CreateTenantBody,
      description: '`partner_id` is required with the admin key; a partner key may leave it out or name itself.',
      responses: {
        201: { description: 'Created; api_key is shown only now', schema: CreatedTenantSchema },
        404: { description: '`partner_id` names no partner visible to this key' },
        409: { description: 'partner_tenant_ref already maps to another tenant of this partner' },
      },
    },
    async ({ body, principal, req }) => {
      const partnerId = await targetPartnerId(db, principal, body.partner_id);
      const created = await audited(
        db,
        actorOf(principal, req),
        (trx) => createTenant(trx, partnerId, { name: body.name, partner_tenant_ref: body.partner_tenant_ref }),
        (t) => ({ action: 'tenant.created', partnerId, tenantId: t.id, target: { type: 'tenant', id: t.id } }),
      );
      const tenant = await visibleTenant(db, principal, created.id);
      return { status: 201, body: { ...tenantToWire(tenant), api_key: created.api_key } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/tenants',
      summary: "List tenants (partner: its own; admin: all or one partner's)",
      tag: TAG,
      auth: 'partner',
      query: ListTenantsQuery,
      responses: { 200: { description: 'A page of tenants', schema: TenantListSchema } },
    },
    async ({ query, principal }) => {
      if (principal.kind === 'partner' && query.partner_id !== undefined && query.partner_id !== principal.partnerId) {
        // Another partner's tenants: an empty page, exactly as for a partner that does not exist.
        return { status: 200, body: { data: [], next_after: null } };
      }
      const partnerId = principal.kind === 'partner' ? principal.partnerId : query.partner_id;
      const rows = await listTenants(db, { partnerId, limit: query.limit, after: query.after });
      const p = page(rows, query.limit);
      return { status: 200, body: { data: p.data.map(tenantToWire), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/tenants/:tenant_id',
      params: TenantPath,
      summary: 'Get a tenant (its partner, or the tenant itself)',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: { 200: { description: 'The tenant', schema: TenantSchema } },
    },
    async ({ params, principal }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      return { status: 200, body: tenantToWire(tenant) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'patch',
      path: '/v1/tenants/:tenant_id',
      params: TenantPath,
      summary: 'Rename a tenant (partner)',
      tag: TAG,
      auth: 'partner',
      body: UpdateTenantBody,
      responses: { 200: { description: 'The updated tenant', schema: TenantSchema } },
    },
    async ({ params, principal, body, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const renamed = await audited(
        db,
        actorOf(principal, req),
        (trx) => renameTenant(trx, tenant.id, body.name),
        () => ({ action: 'tenant.updated', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'tenant', id: tenant.id }, detail: { fields: ['name'] } }),
      );
      return { status: 200, body: tenantToWire(renamed) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: '/v1/tenants/:tenant_id',
      params: TenantPath,
      summary: 'Delete a tenant: frees its routes, retires its endpoints, revokes its keys (partner)',
      tag: TAG,
      auth: 'partner',
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, principal, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      await audited(
        db,
        actorOf(principal, req),
        (trx) => deleteTenant(trx, tenant.id),
        () => ({ action: 'tenant.deleted', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'tenant', id: tenant.id } }),
      );
      return { status: 204 };
    },
  );
}
