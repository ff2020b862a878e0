import { inTransaction } from '../db/inTransaction';
import type { Kysely } from 'kysely';
import { generateApiKey } from '../crypto/apiKeys';
import type { SecretBox } from '../crypto/secretBox';
import type { Database, Partner } from '../db/schema';
import { newId } from '../ids';
import { addHmacSecret } from './secrets';

export interface CreatedPartner {
  id: string;
  name: string;
  api_key: string;
  inbound_secret: string;
}

/** A partner with its first API key and inbound signing secret, both shown once. */
export async function createPartner(db: Kysely<Database>, box: SecretBox, input: { name: string; ops_webhook_url?: string | null }): Promise<CreatedPartner> {
  const id = newId('ptn');
  const key = generateApiKey('partner');
  return inTransaction(db, async (trx) => {
    await trx.insertInto('partners').values({ id, name: input.name, ops_webhook_url: input.ops_webhook_url ?? null }).execute();
    await trx
      .insertInto('api_keys')
      .values({ id: newId('key'), scope: 'partner', partner_id: id, tenant_id: null, prefix: key.prefix, key_hash: key.hash })
      .execute();
    const inbound_secret = await addHmacSecret(trx, box, 'partner', id);
    return { id, name: input.name, api_key: key.key, inbound_secret };
  });
}

/** Partners ordered by id (ids are time-ordered), one page plus one row to tell if more follow. */
export async function listPartners(db: Kysely<Database>, opts: { onlyId?: string; limit: number; after?: string }): Promise<Partner[]> {
  let q = db.selectFrom('partners').selectAll().orderBy('id').limit(opts.limit + 1);
  if (opts.onlyId) q = q.where('id', '=', opts.onlyId);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q.execute();
}

export async function getPartner(db: Kysely<Database>, id: string): Promise<Partner | undefined> {
  return db.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
}
