import { z } from 'zod';
import type { RouteKind } from '../domain/statuses';
import { Identifier, iso, Timestamp } from './wireCommon';

/** The identifiers an inbound event may carry that map it to a tenant. */
export const ROUTE_KINDS = ['crm_account_id', 'partner_tenant_ref', 'call_id', 'voice_session_id'] as const satisfies readonly RouteKind[];

export const CreateRouteBody = z
  .strictObject({ kind: z.enum(ROUTE_KINDS), value: Identifier })
  .meta({ id: 'CreateRoute' });

export const RouteSchema = z
  .object({ id: z.string(), tenant_id: z.string(), kind: z.enum(ROUTE_KINDS), value: z.string(), created_at: Timestamp })
  .meta({ id: 'TenantRoute' });

export const RouteListSchema = z.object({ data: z.array(RouteSchema) });

export function routeToWire(r: { id: string; tenant_id: string; kind: RouteKind; value: string; created_at: Date }): z.infer<typeof RouteSchema> {
  return { id: r.id, tenant_id: r.tenant_id, kind: r.kind, value: r.value, created_at: iso(r.created_at)! };
}
