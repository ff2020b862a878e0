import type { Config } from '../config';
import type { EventPolicy } from '../../workflows/types';

/** The delivery/tenant policy a workflow runs under, fixed into its input when it starts. */
export function eventPolicy(config: Config): EventPolicy {
  const d = config.delivery;
  return {
    retry: {
      maxAttempts: d.maxAttempts,
      initialIntervalMs: d.initialIntervalMs,
      backoffCoefficient: d.backoffCoefficient,
      maxIntervalMs: d.maxIntervalMs,
    },
    deliveryTimeoutMs: d.timeoutMs,
    tenantWaitMs: d.tenantResolutionWaitMs,
    tenantPollMs: d.tenantResolutionPollMs,
  };
}
