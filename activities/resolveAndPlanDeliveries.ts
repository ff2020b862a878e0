import type { ActivityDeps } from './deps';
import { planDeliveries, type PlanDeliveriesInput, type PlannedDelivery } from './planDeliveries';
import type { ResolveTenantResult, TenantResolver } from './resolveTenant';

/** The tenant resolver's answer; once resolved, with the deliveries planned for that tenant. */
export type ResolveAndPlanResult =
  | Exclude<ResolveTenantResult, { outcome: 'resolved' }>
  | (Extract<ResolveTenantResult, { outcome: 'resolved' }> & { planned: PlannedDelivery[] });

export function resolveAndPlanDeliveriesActivities({ db }: ActivityDeps, resolver: TenantResolver) {
  return {
    /**
     * Resolve the tenant (tenantResolver) then, when it is resolved, plan the deliveries, as one
     * local activity: on the common path planning always follows resolution, and every local
     * activity costs the workflow an activation and a marker. A conflict or an unresolved event
     * comes back with nothing planned, and the workflow quarantines or waits and calls this again.
     *
     * Not one transaction, on purpose (BEGIN and COMMIT would be two more round trips): each write
     * is one atomic statement and safe to repeat, so a retry after a failed plan resolves again
     * (to the tenant stamped the first time, or a `tenant_changed` conflict) and plans what is
     * missing; rows planned by an earlier try are kept (UNIQUE(endpoint_id, event_id)).
     */
    async resolveAndPlanDeliveries(input: Omit<PlanDeliveriesInput, 'tenantId'>): Promise<ResolveAndPlanResult> {
      const resolution = await resolver.resolve(input.eventId);
      if (resolution.outcome !== 'resolved') return resolution;
      return { ...resolution, planned: await planDeliveries(db, { ...input, tenantId: resolution.tenantId }) };
    },
  };
}
