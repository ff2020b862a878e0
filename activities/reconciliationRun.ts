import { sql } from 'kysely';
import { assessMismatch } from '../src/domain/incidentSeverity';
import { sumTally, type Tally } from '../src/domain/reconciliationTally';
import type { ReconciliationWindow } from '../src/domain/reconciliationWindow';
import { newId } from '../src/ids';
import type { ActivityDeps } from './deps';

export interface BeginRunInput {
  /** Given when the API created the row already; absent for scheduled runs. */
  runId?: string;
  workflowId: string;
  window: ReconciliationWindow;
  partnerId: string | null;
}

export interface FinishRunInput {
  runId: string;
  tally: Tally;
  continuedAsNew: number;
}

// eslint-disable-next-line max-lines-per-function -- a factory: the run activities sharing one set of dependencies (each method is linted on its own)
export function reconciliationRunActivities({ db, config, logger, metrics }: ActivityDeps) {
  return {
    /** The run's row, created once per workflow id (a retried activity finds the same row). */
    async beginRun(input: BeginRunInput): Promise<string> {
      const row = await db
        .insertInto('reconciliation_runs')
        .values({
          id: input.runId ?? newId('rec'),
          partner_id: input.partnerId,
          window_from: input.window.from,
          window_to: input.window.to,
          workflow_id: input.workflowId,
        })
        .onConflict((oc) => oc.column('workflow_id').where('workflow_id', 'is not', null).doUpdateSet({ status: 'running' }))
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /**
     * Record the totals and raise one incident per partner whose missing / terminal ratio is over
     * its threshold (partners.reconciliation_threshold, else RECONCILIATION_THRESHOLD). Returns
     * the incidents to announce; UNIQUE (run, partner) makes a retry raise nothing twice.
     */
    // eslint-disable-next-line max-lines-per-function -- one retry-safe activity step: raise each incident (UNIQUE (run, partner)) and record the totals; splitting it would spread that idempotence over several functions
    async finishRun(input: FinishRunInput): Promise<{ incidentIds: string[] }> {
      const total = sumTally(input.tally);
      const run = await db.selectFrom('reconciliation_runs').selectAll().where('id', '=', input.runId).executeTakeFirstOrThrow();
      const partnerIds = Object.keys(input.tally);
      const partners = partnerIds.length
        ? await db.selectFrom('partners').select(['id', 'reconciliation_threshold']).where('id', 'in', partnerIds).execute()
        : [];
      const incidentIds: string[] = [];
      let raised = 0;
      for (const [partnerId, t] of Object.entries(input.tally)) {
        const threshold = partners.find((p) => p.id === partnerId)?.reconciliation_threshold ?? config.reconciliation.threshold;
        const assessment = assessMismatch(t.terminal, t.missing, threshold);
        metrics.reconciliationMissingRatio.set({ partner_id: partnerId }, assessment.ratio);
        if (!assessment.exceeds) continue;
        const detail = {
          window_from: run.window_from.toISOString(),
          window_to: run.window_to.toISOString(),
          terminal_calls: t.terminal,
          processed: t.processed,
          missing: t.missing,
          in_flight: t.inFlight,
          replayed: t.replayed,
          failed: t.failed,
          ratio: assessment.ratio,
          threshold,
          sample_call_ids: t.samples,
        };
        const summary = `${t.missing} of ${t.terminal} terminal calls missing (${(assessment.ratio * 100).toFixed(2)}% > ${(threshold * 100).toFixed(2)}%) between ${detail.window_from} and ${detail.window_to}`;
        const inserted = await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('incidents')
            .values({
              id: newId('inc'),
              partner_id: partnerId,
              reconciliation_run_id: input.runId,
              kind: 'reconciliation_mismatch',
              severity: assessment.severity,
              summary,
              detail: JSON.stringify(detail),
            })
            .onConflict((oc) => oc.columns(['reconciliation_run_id', 'partner_id']).where('reconciliation_run_id', 'is not', null).doNothing())
            .returning('id')
            .executeTakeFirst();
          if (row) {
            await trx
              .insertInto('operational_events')
              .values({ partner_id: partnerId, tenant_id: null, type: 'incident.raised', detail: JSON.stringify({ incident_id: row.id, reconciliation_run_id: input.runId, severity: assessment.severity, ...detail }) })
              .execute();
          }
          return row;
        });
        const id =
          inserted?.id ??
          (await db.selectFrom('incidents').select('id').where('reconciliation_run_id', '=', input.runId).where('partner_id', '=', partnerId).executeTakeFirstOrThrow()).id;
        incidentIds.push(id);
        if (inserted) {
          raised++;
          metrics.incidentsRaised.inc();
          logger.error(
            { incident_id: id, partner_id: partnerId, run_id: input.runId, severity: assessment.severity, missing: t.missing, terminal_calls: t.terminal, ratio: assessment.ratio, threshold, sample_call_ids: t.samples },
            'reconciliation incident raised',
          );
        }
      }
      await db
        .updateTable('reconciliation_runs')
        .set({
          status: 'completed',
          terminal_calls: total.terminal,
          processed: total.processed,
          missing: total.missing,
          in_flight: total.inFlight,
          replayed: total.replayed,
          failed: total.failed,
          continued_as_new: input.continuedAsNew,
          incidents_raised: sql`incidents_raised + ${raised}`,
          finished_at: sql`now()`,
        })
        .where('id', '=', input.runId)
        .execute();
      logger.info({ run_id: input.runId, ...total, incidents: incidentIds.length }, 'reconciliation run finished');
      return { incidentIds };
    },
  };
}
