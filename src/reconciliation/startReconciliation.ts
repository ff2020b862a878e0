import type { reconciliationWorkflow } from '../../workflows/reconciliationWorkflow';
import { markdownCode } from '../domain/markdownCode';
import { UnavailableError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { OperatorServices } from '../services';

export interface StartedReconciliation {
  id: string;
  workflow_id: string;
  status: 'running';
  window_from: string;
  window_to: string;
  partner_id: string | null;
}

/**
 * Records a reconciliation run and starts its workflow: the one path behind
 * `POST /v1/reconciliations` and `switchboard reconcile`. `partnerId` must already be checked
 * against the caller's scope; null means every partner.
 */
export async function startReconciliation(
  deps: OperatorServices,
  input: { from: string; to: string; partnerId: string | null },
): Promise<StartedReconciliation> {
  const { db, config, logger } = deps;
  const from = new Date(input.from);
  const to = new Date(input.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    throw new ValidationError('invalid window', [{ field: 'to', message: 'to must be after from (ISO 8601 timestamps)' }]);
  }
  if (input.partnerId) {
    const exists = await db.selectFrom('partners').select('id').where('id', '=', input.partnerId).executeTakeFirst();
    if (!exists) throw new ValidationError('unknown partner_id', [{ field: 'partner_id', message: 'no such partner' }]);
  }
  const window = { from: from.toISOString(), to: to.toISOString() };
  const id = newId('rec');
  const workflowId = `reconciliation-${id}`;
  await db
    .insertInto('reconciliation_runs')
    .values({ id, partner_id: input.partnerId, window_from: window.from, window_to: window.to, workflow_id: workflowId })
    .execute();
  const r = config.reconciliation;
  try {
    await deps.temporal.workflow.start<typeof reconciliationWorkflow>('reconciliationWorkflow', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [{ window, partnerId: input.partnerId, runId: id, pageSize: r.pageSize, pagesPerRun: r.pagesPerRun }],
      // Markdown in the UI: the partner id in a code span shows as it is.
      staticSummary: `Reconcile ${input.partnerId ? markdownCode(input.partnerId) : 'all partners'} ${window.from} .. ${window.to}`,
    });
  } catch (err) {
    logger.error({ err, run_id: id }, 'could not start reconciliation workflow');
    await db.updateTable('reconciliation_runs').set({ status: 'failed', error: 'workflow could not be started' }).where('id', '=', id).execute();
    throw new UnavailableError('Temporal unavailable; reconciliation not started');
  }
  logger.info({ run_id: id, workflow_id: workflowId, partner_id: input.partnerId, ...window }, 'reconciliation started');
  return { id, workflow_id: workflowId, status: 'running', window_from: window.from, window_to: window.to, partner_id: input.partnerId };
}
