/**
 * How long a claim on an outbox row lasts: a relay's claim, or a caller that starts the workflow
 * itself (reconciliation) and stores the row born claimed so no relay races it.
 */
export const START_CLAIM_SECONDS = 15;
