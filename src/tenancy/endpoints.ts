import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database } from '../db/schema';
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
