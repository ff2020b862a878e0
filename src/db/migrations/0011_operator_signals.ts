import { Kysely, sql } from 'kysely';

/**
 * The audit log (src/audit): one row per privileged action, append-only. A trigger refuses every
 * UPDATE and TRUNCATE, and any DELETE of a row younger than the shortest retention window (one hour, the
 * floor of RETENTION): only the retention purge removes audit rows, and only old ones. A row
 * without a partner (an admin's reconciliation of every partner) is visible to the admin only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('partner_id', 'text')
    .addColumn('tenant_id', 'text')
    .addColumn('actor_kind', 'text', (c) => c.notNull().check(sql`actor_kind in ('admin', 'partner', 'tenant', 'operator_cli')`))
    .addColumn('actor_key_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('client_ip', 'text')
    .addColumn('request_id', 'text')
    .execute();
  await sql`create index audit_log_partner_at on audit_log (partner_id, at desc, id desc)`.execute(db);
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'TRUNCATE') then
        raise exception 'audit_log is append-only: rows cannot be updated or truncated';
      end if;
      if old.at > now() - interval '1 hour' then
        raise exception 'audit_log is append-only: only rows past retention may be deleted';
      end if;
      return old;
    end $$`.execute(db);
  await sql`create trigger audit_log_append_only before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await sql`drop function if exists audit_log_append_only()`.execute(db);
}
