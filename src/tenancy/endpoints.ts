import { inTransaction } from '../db/inTransaction';
import { sql, type Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import { circuitRow } from '../db/circuitRow';
import type { Database, Endpoint } from '../db/schema';
import { closedCircuit } from '../domain/circuitBreaker';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { deliveryOptionColumns, type DeliveryOptionsInput } from './endpointOptions';
import { eventTypesOutsidePurpose } from './endpointSchemas';
import { addSigningSecret, type NewSigningKey, type SignatureScheme } from './secrets';

export interface EndpointInput extends DeliveryOptionsInput {
  url: string;
  purpose?: 'events' | 'operations';
  event_types?: string[] | null;
  description?: string | null;
  max_attempts?: number | null;
  rate_limit_per_second?: number | null;
  signature_scheme?: SignatureScheme;
}

/**
 * Inserts an endpoint and its first signing secret (v1) or key (v1a). URL and event-type checks
 * are the caller's; the delivery options are validated here (422).
 */
export async function insertEndpoint(
  db: Kysely<Database>,
  box: SecretBox,
  partnerId: string,
  tenantId: string | null,
  input: EndpointInput & { signature_scheme?: 'v1' },
): Promise<{ id: string; secret: string }>;
export async function insertEndpoint(db: Kysely<Database>, box: SecretBox, partnerId: string, tenantId: string | null, input: EndpointInput): Promise<{ id: string } & NewSigningKey>;
export async function insertEndpoint(
  db: Kysely<Database>,
  box: SecretBox,
  partnerId: string,
  tenantId: string | null,
  input: EndpointInput,
): Promise<{ id: string } & NewSigningKey> {
  const id = newId('ep');
  const scheme = input.signature_scheme ?? 'v1';
  const options = await deliveryOptionColumns(db, box, input);
  const key = await inTransaction(db, async (trx) => {
    await trx
      .insertInto('endpoints')
      .values({
        id,
        partner_id: partnerId,
        tenant_id: tenantId,
        purpose: input.purpose ?? 'events',
        url: input.url,
        description: input.description ?? null,
        event_types: input.event_types ?? null,
        max_attempts: input.max_attempts ?? null,
        rate_limit_per_second: input.rate_limit_per_second ?? null,
        signature_scheme: scheme,
        ...options,
      })
      .execute();
    return addSigningSecret(trx, box, 'endpoint', id, scheme);
  });
  return { id, ...key };
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

export interface EndpointPatch extends DeliveryOptionsInput {
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
export async function updateEndpoint(db: Kysely<Database>, box: SecretBox, tenantId: string, endpointId: string, patch: EndpointPatch): Promise<Endpoint> {
  const { headers: _h, auth: _a, filter: _f, retry_schedule_seconds: _r, ...plain } = patch;
  const current = await getEndpoint(db, tenantId, endpointId);
  assertEventTypesFitPurpose(current, patch.event_types);
  const options = await deliveryOptionColumns(db, box, patch, current);
  const reenable =
    patch.enabled === true
      ? { disabled_reason: null, ...circuitRow(closedCircuit) }
      : {};
  const row = await db
    .updateTable('endpoints')
    .set({ ...plain, ...options, ...reenable, updated_at: sql`now()` })
    .where('id', '=', endpointId)
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError('endpoint');
  return row;
}

/** The body's schema cannot know a stored endpoint's purpose; the patch is checked against it here. */
function assertEventTypesFitPurpose(endpoint: Endpoint, eventTypes: readonly string[] | null | undefined): void {
  const details = eventTypesOutsidePurpose(endpoint.purpose, eventTypes).map((m) => ({ field: `event_types.${m.index}`, message: m.message }));
  if (details.length) throw new ValidationError(`invalid request body: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
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

/** The scheme new deliveries are signed with follows the newest key (rotation may switch it). */
export async function updateSignatureScheme(db: Kysely<Database>, endpointId: string, scheme: SignatureScheme): Promise<void> {
  await db.updateTable('endpoints').set({ signature_scheme: scheme, updated_at: sql`now()` }).where('id', '=', endpointId).execute();
}
