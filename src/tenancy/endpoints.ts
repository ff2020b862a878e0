import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import { circuitRow } from '../db/circuitRow';
import type { Database, Endpoint } from '../db/schema';
import { closedCircuit } from '../domain/circuitBreaker';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { addSigningSecret } from './secrets';

export interface EndpointInput {
  url: string;
  event_types?: string[] | null;
  description?: string | null;
  max_attempts?: number | null;
  rate_limit_per_second?: number | null;
}

/** Inserts an endpoint and its first signing secret. URL and event-type checks are the caller's. */
export async function insertEndpoint(
  db: Kysely<Database>,
  box: SecretBox,
  partnerId: string,
  tenantId: string,
  input: EndpointInput,
): Promise<{ id: string; secret: string }> {
  const id = newId('ep');
  const secret = await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('endpoints')
      .values({
        id,
        partner_id: partnerId,
        tenant_id: tenantId,
        url: input.url,
        description: input.description ?? null,
        event_types: input.event_types ?? null,
        max_attempts: input.max_attempts ?? null,
        rate_limit_per_second: input.rate_limit_per_second ?? null,
      })
      .execute();
    return addSigningSecret(trx, box, 'endpoint', id);
  });
  return { id, secret };
}

export async function listEndpoints(db: Kysely<Database>, tenantId: string, opts: { limit: number; after?: string }): Promise<Endpoint[]> {
  let q = db
    .selectFrom('endpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(opts.limit + 1);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q.execute();
}

/** The endpoint only if it belongs to `tenantId` (the scope check rides on the query). */
export async function getEndpoint(db: Kysely<Database>, tenantId: string, endpointId: string): Promise<Endpoint> {
  const row = await db
    .selectFrom('endpoints')
    .selectAll()
    .where('id', '=', endpointId)
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('endpoint');
  return row;
}

export interface EndpointPatch {
  url?: string;
  event_types?: string[] | null;
  enabled?: boolean;
  description?: string | null;
  max_attempts?: number | null;
  rate_limit_per_second?: number | null;
}

/**
 * Applies a patch. Re-enabling also resets the circuit breaker: whoever turns an endpoint back on
 * says it is fixed, and the next delivery is the proof either way.
 */
export async function updateEndpoint(db: Kysely<Database>, tenantId: string, endpointId: string, patch: EndpointPatch): Promise<Endpoint> {
  const reenable =
    patch.enabled === true
      ? { disabled_reason: null, ...circuitRow(closedCircuit) }
      : {};
  const row = await db
    .updateTable('endpoints')
    .set({ ...patch, ...reenable, updated_at: sql`now()` })
    .where('id', '=', endpointId)
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('endpoint');
  return row;
}

/** Soft delete: past deliveries keep their endpoint; in-flight ones stop (the activity sees deleted_at). */
export async function deleteEndpoint(db: Kysely<Database>, tenantId: string, endpointId: string): Promise<void> {
  const r = await db
    .updateTable('endpoints')
    .set({ deleted_at: sql`now()`, enabled: false, updated_at: sql`now()` })
    .where('id', '=', endpointId)
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (r.numUpdatedRows === 0n) throw new NotFoundError('endpoint');
}
