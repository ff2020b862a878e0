import { Kysely, sql } from 'kysely';

/**
 * Inbound sources (issue 19): a partner's own webhook format and authentication. A source holds
 * its verification scheme and mapping as JSON (validated by src/sources/sourceSchemas.ts, never by
 * the database); its secrets are encrypted like the signing secrets, in their own table so a
 * source's rotation cannot touch a partner's or an endpoint's. Requests that verified but could
 * not be taken (unmappable: rejected; an event name the source ignores: ignored) are kept in
 * `source_receipts`, as received, for the partner to audit.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('verification', 'jsonb', (c) => c.notNull())
    .addColumn('mapping', 'jsonb')
    .addColumn('ip_allowlist', sql`text[]`)
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('sources_partner').on('sources').columns(['partner_id', 'id']).execute();

  await db.schema
    .createTable('source_secrets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id').onDelete('cascade'))
    .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('source_secrets_source').on('source_secrets').column('source_id').execute();

  await db.schema
    .createTable('source_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source_id', 'text', (c) => c.notNull().references('sources.id').onDelete('cascade'))
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('rejected', 'ignored')`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('details', 'jsonb')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('source_ip', 'text')
    .addColumn('headers', 'jsonb', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('source_receipts_source').on('source_receipts').columns(['source_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('source_receipts').ifExists().execute();
  await db.schema.dropTable('source_secrets').ifExists().execute();
  await db.schema.dropTable('sources').ifExists().execute();
}
