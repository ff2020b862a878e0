import type { Router } from 'express';
import { RouteId } from '../../idSchemas';
import { NotFoundError } from '../../errors';
import { visibleTenant } from '../../tenancy/access';
import { CreateRouteBody, RouteListSchema, RouteSchema, routeToWire } from '../../tenancy/routeSchemas';
import { deleteRoute, getRoute, insertRoute, listRoutes } from '../../tenancy/tenants';
import { actorOf } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import type { AppContext } from '../context';
import { defineRoute } from '../route';
import { TenantPath } from './tenants';

const TAG = 'Routing map';

/** The routing map: which identifier values (crm_account_id, ...) resolve to which tenant. Partner-managed. */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function tenantRoutingMapRoutes(router: Router, ctx: AppContext): void {
  const { db } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/tenants/:tenant_id/routes',
      params: TenantPath,
      summary: 'Map an identifier value to this tenant (partner)',
      tag: TAG,
      auth: 'partner',
      body: CreateRouteBody,
      responses: {
        201: { description: 'Mapped', schema: RouteSchema },
        200: { description: 'Already mapped to this tenant (idempotent)', schema: RouteSchema },
        409: { description: "The value is mapped to another tenant of this partner; details.owner_tenant_id names it" },
      },
    },
    async ({ params, principal, body, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      const r = await audited(
        db,
        actorOf(principal, req),
        (trx) => insertRoute(trx, tenant.partner_id, tenant.id, body.kind, body.value),
        (route) => (route.created ? { action: 'tenant_route.created', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'tenant_route', id: route.id }, detail: { kind: body.kind } } : null),
      );
      const row = await getRoute(db, tenant.id, r.id);
      return { status: r.created ? 201 : 200, body: routeToWire(row!) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/tenants/:tenant_id/routes',
      params: TenantPath,
      summary: "List a tenant's routes (partner)",
      tag: TAG,
      auth: 'partner',
      responses: { 200: { description: 'Routes', schema: RouteListSchema } },
    },
    async ({ params, principal }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      return { status: 200, body: { data: (await listRoutes(db, tenant.id)).map(routeToWire) } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: '/v1/tenants/:tenant_id/routes/:route_id',
      params: TenantPath.extend({ route_id: RouteId }),
      summary: 'Remove a route (partner)',
      tag: TAG,
      auth: 'partner',
      responses: { 204: { description: 'Removed' } },
    },
    async ({ params, principal, req }) => {
      const tenant = await visibleTenant(db, principal, params.tenant_id);
      await audited(
        db,
        actorOf(principal, req),
        async (trx) => {
          if (!(await deleteRoute(trx, tenant.id, params.route_id))) throw new NotFoundError('route');
        },
        () => ({ action: 'tenant_route.deleted', partnerId: tenant.partner_id, tenantId: tenant.id, target: { type: 'tenant_route', id: params.route_id } }),
      );
      return { status: 204 };
    },
  );
}
