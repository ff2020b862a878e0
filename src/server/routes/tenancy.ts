import type { Router } from 'express';
import type { AppContext } from '../context';
import { apiKeyRoutes } from './apiKeys';
import { endpointRoutes } from './endpoints';
import { partnerRoutes } from './partners';
import { tenantRoutingMapRoutes } from './tenantRoutingMap';
import { tenantRoutes } from './tenants';

/** The tenancy admin API (issue 3): partners, tenants, routing map, endpoints, API keys. */
export function tenancyRoutes(router: Router, ctx: AppContext): void {
  partnerRoutes(router, ctx);
  tenantRoutes(router, ctx);
  tenantRoutingMapRoutes(router, ctx);
  endpointRoutes(router, ctx);
  apiKeyRoutes(router, ctx);
}
