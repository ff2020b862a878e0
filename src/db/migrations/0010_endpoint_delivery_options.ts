import { Kysely, sql } from 'kysely';

/**
 * Per-endpoint delivery options (issue 20, points 1-4):
 * - `signature_scheme`: Standard Webhooks `v1` (HMAC, whsec_) or `v1a` (Ed25519, whsk_/whpk_);
 *   an Ed25519 key's public half is kept in clear on its signing_secrets row (`public_key`) so it
 *   can be shown to the tenant without unsealing anything.
 * - `delivery_auth_sealed`: custom headers and receiver auth (Basic, bearer, API key, OAuth2
 *   client credentials), sealed like the signing secrets; `delivery_auth_summary` is what may be
 *   shown back (header names, the auth kind, the token URL), never a credential.
 * - `payload_filter` as the tenant wrote it, and `payload_filter_path`, the SQL/JSON path it
 *   compiles to, evaluated where deliveries are planned.
 * - `retry_schedule_seconds`: the delays before attempts 2..N for this endpoint.
 * - `deliveries.retry_attempt_base`: attempt_count when the current attempt budget began (a
 *   redrive starts a fresh one), so the schedule is indexed from that budget's first attempt.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('endpoints')
    .addColumn('signature_scheme', 'text', (c) => c.notNull().defaultTo('v1').check(sql`signature_scheme in ('v1', 'v1a')`))
    .addColumn('delivery_auth_sealed', 'text')
    .addColumn('delivery_auth_summary', 'jsonb')
    .addColumn('payload_filter', 'jsonb')
    .addColumn('payload_filter_path', sql`jsonpath`)
    .addColumn('retry_schedule_seconds', sql`integer[]`)
    .execute();
  await db.schema.alterTable('signing_secrets').addColumn('public_key', 'text').execute();
  await db.schema
    .alterTable('deliveries')
    .addColumn('retry_attempt_base', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('retry_attempt_base').execute();
  await db.schema.alterTable('signing_secrets').dropColumn('public_key').execute();
  await db.schema
    .alterTable('endpoints')
    .dropColumn('signature_scheme')
    .dropColumn('delivery_auth_sealed')
    .dropColumn('delivery_auth_summary')
    .dropColumn('payload_filter')
    .dropColumn('payload_filter_path')
    .dropColumn('retry_schedule_seconds')
    .execute();
}
