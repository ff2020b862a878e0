import type { Agent } from 'undici';
import { checkpointActivities } from './checkpoints';
import { deliverWebhookActivities, deliveryAttempts } from './deliverWebhook';
import type { ActivityDeps } from './deps';
import { planDeliveriesActivities } from './planDeliveries';
import { reconciliationIncidentActivities } from './reconciliationIncidents';
import { reconciliationPageActivities } from './reconciliationPage';
import { reconciliationRunActivities } from './reconciliationRun';
import { quarantineActivities, tenantResolver } from './resolveTenant';
import { retentionActivities } from './retention';
import { routeAndDeliverActivities } from './routeAndDeliver';

export type { ActivityDeps } from './deps';

/**
 * Every activity the worker registers, bound to its dependencies. `routed` hears when an event's
 * routing step has planned its deliveries or ended (the outbox relay's pacing).
 */
export function createActivities(deps: ActivityDeps, agent: Agent, routed: (eventId: string) => void = () => undefined) {
  const resolver = tenantResolver(deps);
  // One per worker: the bound on inline first attempts spans both steps that make them.
  const attempts = deliveryAttempts(deps, agent);
  return {
    ...checkpointActivities(deps),
    ...quarantineActivities(deps),
    ...planDeliveriesActivities(deps),
    ...routeAndDeliverActivities(deps, resolver, attempts, routed),
    ...deliverWebhookActivities(deps, attempts),
    ...reconciliationRunActivities(deps),
    ...reconciliationPageActivities(deps),
    ...reconciliationIncidentActivities(deps, agent),
    ...retentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
