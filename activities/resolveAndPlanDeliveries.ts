import type { ActivityDeps } from './deps';
import { planDeliveries, type PlanDeliveriesInput, type PlannedDelivery } from './planDeliveries';
import type { ResolveTenantResult, TenantResolver } from './resolveTenant';

/** resolveTenant's answer; once resolved, with the deliveries planned for that tenant. */
export type ResolveAndPlanResult =
  | Exclude<ResolveTenantResult, { outcome: 'resolved' }>
  | (Extract<ResolveTenantResult, { outcome: 'resolved' }> & { planned: PlannedDelivery[] });

export function resolveAndPlanDeliveriesActivities({ db }: ActivityDeps, resolver: TenantResolver) {
  return {
    /**
     * resolveTenant then, when the tenant is resolved, planDeliveries, as one local activity: the
     * event workflow's common path gets one activation (and one marker) fewer per event. A
     * conflict or an unresolved event comes back as from resolveTenant, nothing planned, and the
     * workflow quarantines or waits and calls this again.
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
