import { Kysely } from 'kysely';

/**
 * The payload inspector (issue 21): each attempt keeps the headers it was sent with, as the
 * tenant may see them: Switchboard's own (ids, timestamp, signatures) in full, the endpoint's
 * custom and auth headers by name with their values redacted. A column of the attempt row the
 * attempt's one statement already writes, not a statement of its own.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('delivery_attempts').addColumn('request_headers', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('delivery_attempts').dropColumn('request_headers').execute();
}
