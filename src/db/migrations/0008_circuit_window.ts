import { Kysely } from 'kysely';

/**
 * The circuit breaker judges a failure RATE over a window (src/domain/circuitBreaker.ts), not a
 * run of consecutive failures, and lets a few probes through when half-open: the window's end and
 * counts, and the probes claimed in the current half-open period, live on the endpoint row next
 * to the rest of its circuit state.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('endpoints')
    .addColumn('circuit_window_ends_at', 'timestamptz')
    .addColumn('circuit_window_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('circuit_window_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('circuit_probes', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('endpoints')
    .dropColumn('circuit_window_ends_at')
    .dropColumn('circuit_window_attempts')
    .dropColumn('circuit_window_failures')
    .dropColumn('circuit_probes')
    .execute();
}
