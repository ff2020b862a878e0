import { sql, type RawBuilder } from 'kysely';
import type { PurgeTarget, RetentionCutoffs } from '../src/domain/retentionPlan';
import type { ActivityDeps } from './deps';
import { permanentFailure } from './failures';

export interface PurgeBatchInput {
  target: PurgeTarget;
  cutoffs: RetentionCutoffs;
  limit: number;
}

/** No event whose quarantine is still open loses anything: it is waiting for a partner's decision. */
const notOpenQuarantine = (eventId: RawBuilder<unknown>) =>
  sql`not exists (select 1 from quarantine q where q.event_id = ${eventId} and q.status = 'open')`;

/**
 * A reconciliation run is past retention when it started before the cutoff, is no longer running
 * and has no incident that is still kept (open, or resolved inside the window): an open incident
 * keeps its run and the run's replays as evidence.
 */
const runPastRetention = (before: string) => sql`
  r.started_at < ${before} and r.status <> 'running'
  and not exists (
    select 1 from incidents i
    where i.reconciliation_run_id = r.id and not (i.status = 'resolved' and i.resolved_at < ${before})
  )`;

/**
 * One DELETE per target, each removing at most `limit` rows chosen through an index on the age
 * column, so every statement is short and holds few locks while ingest and delivery keep writing.
 * `= any(array(subquery))` (not `in (subquery)`) makes Postgres look the chosen rows up by primary
 * key (or ctid, for the key-less rate windows): with `in`, the planner may hash-join against a
 * sequential scan of the whole table on every batch.
 */
const statements: Record<PurgeTarget, (c: RetentionCutoffs, limit: number) => RawBuilder<unknown>> = {
  receipts: ({ before }, limit) => sql`
    delete from receipts where id = any(array(
      select r.id from receipts r
      where r.received_at < ${before} and ${notOpenQuarantine(sql.ref('r.event_id'))}
      limit ${limit}))`,

  // Requests a source verified but did not take (rejected, ignored): never an event, so no
  // quarantine can hold them.
  source_receipts: ({ before }, limit) => sql`
    delete from source_receipts where id = any(array(
      select id from source_receipts where received_at < ${before} limit ${limit}))`,

  delivery_attempts: ({ before }, limit) => sql`
    delete from delivery_attempts where id = any(array(
      select a.id from delivery_attempts a join deliveries d on d.id = a.delivery_id
      where a.started_at < ${before} and ${notOpenQuarantine(sql.ref('d.event_id'))}
      limit ${limit}))`,

  event_checkpoints: ({ before }, limit) => sql`
    delete from event_checkpoints where id = any(array(
      select c.id from event_checkpoints c
      where c.at < ${before} and ${notOpenQuarantine(sql.ref('c.event_id'))}
      limit ${limit}))`,

  operational_events: ({ before }, limit) => sql`
    delete from operational_events where id = any(array(
      select id from operational_events where at < ${before} limit ${limit}))`,

  reconciliation_replays: ({ before }, limit) => sql`
    delete from reconciliation_replays where id = any(array(
      select p.id from reconciliation_replays p join reconciliation_runs r on r.id = p.run_id
      where ${runPastRetention(before)}
      limit ${limit}))`,

  incidents: ({ before }, limit) => sql`
    delete from incidents where id = any(array(
      select id from incidents where status = 'resolved' and resolved_at < ${before} limit ${limit}))`,

  // After its replays and incidents: a run that still has either is kept (foreign keys).
  reconciliation_runs: ({ before }, limit) => sql`
    delete from reconciliation_runs where id = any(array(
      select r.id from reconciliation_runs r
      where ${runPastRetention(before)}
        and not exists (select 1 from incidents i where i.reconciliation_run_id = r.id)
        and not exists (select 1 from reconciliation_replays p where p.run_id = r.id)
      limit ${limit}))`,

  // Only decided quarantine records; an open one is kept however old it is.
  quarantine: ({ before }, limit) => sql`
    delete from quarantine where id = any(array(
      select id from quarantine where status <> 'open' and resolved_at < ${before} limit ${limit}))`,

  // Append-only (a trigger refuses any other delete): only rows past the window go, oldest first.
  audit_log: ({ before }, limit) => sql`
    delete from audit_log where id = any(array(
      select id from audit_log where at < ${before} limit ${limit}))`,

  // A partner's sampled ingest refusals: diagnostics, nothing refers to them.
  ingest_refusals: ({ before }, limit) => sql`
    delete from ingest_refusals where id = any(array(
      select id from ingest_refusals where received_at < ${before} limit ${limit}))`,

  endpoint_rate_windows: ({ rateWindowBefore }, limit) => sql`
    delete from endpoint_rate_windows where ctid = any(array(
      select ctid from endpoint_rate_windows where window_start < ${rateWindowBefore} limit ${limit}))`,
};

export function retentionActivities({ db, logger, metrics }: ActivityDeps) {
  return {
    /** Delete up to `limit` rows of one target past its cutoff; returns how many went. */
    async purgeBatch(input: PurgeBatchInput): Promise<{ deleted: number }> {
      const statement = statements[input.target];
      // Only reachable when a workflow and a worker of different versions disagree on the list.
      if (!statement) throw permanentFailure('UnknownPurgeTarget', `unknown purge target ${JSON.stringify(input.target)}`);
      const result = await statement(input.cutoffs, input.limit).execute(db);
      const deleted = Number(result.numAffectedRows ?? 0n);
      if (deleted > 0) metrics.retentionPurged.inc({ table: input.target }, deleted);
      logger.debug({ table: input.target, deleted, before: input.cutoffs.before }, 'retention batch purged');
      return { deleted };
    },
  };
}
