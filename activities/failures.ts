import { ApplicationFailure } from '@temporalio/activity';

/**
 * Failure types the workflows recognise by name. Each is raised with an explicit nonRetryable
 * flag: the retry policy decides only for failures we have not already classified.
 */
export const FailureType = {
  DeliveryHttpError: 'DeliveryHttpError',
  DeliveryNetworkError: 'DeliveryNetworkError',
  DeliveryRejected: 'DeliveryRejected',
  DestinationForbidden: 'DestinationForbidden',
  EndpointGone: 'EndpointGone',
  NotFound: 'NotFound',
} as const;

export function retryableFailure(type: string, message: string, details?: unknown, nextRetryDelayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: false,
    details: details === undefined ? undefined : [details],
    nextRetryDelay: nextRetryDelayMs,
  });
}

export function permanentFailure(type: string, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}
