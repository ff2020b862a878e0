import type { Agent } from 'undici';
import { checkpointActivities } from './checkpoints';
import { deliverWebhookActivities } from './deliverWebhook';
import type { ActivityDeps } from './deps';
import { planDeliveriesActivities } from './planDeliveries';
import { reconciliationIncidentActivities } from './reconciliationIncidents';
import { reconciliationPageActivities } from './reconciliationPage';
import { reconciliationRunActivities } from './reconciliationRun';
import { resolveAndPlanDeliveriesActivities } from './resolveAndPlanDeliveries';
import { quarantineActivities, tenantResolver } from './resolveTenant';
import { retentionActivities } from './retention';

export type { ActivityDeps } from './deps';

/** Every activity the worker registers, bound to its dependencies. */
export function createActivities(deps: ActivityDeps, agent: Agent) {
  const resolver = tenantResolver(deps);
  return {
    ...checkpointActivities(deps),
    ...quarantineActivities(deps),
    ...planDeliveriesActivities(deps),
    ...resolveAndPlanDeliveriesActivities(deps, resolver),
    ...deliverWebhookActivities(deps, agent),
    ...reconciliationRunActivities(deps),
    ...reconciliationPageActivities(deps),
    ...reconciliationIncidentActivities(deps, agent),
    ...retentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
