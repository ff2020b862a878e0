import type { Command } from 'commander';
import { OPERATOR_CLI_ACTOR } from '../audit/auditActor';
import { audited } from '../audit/audited';
import { recordAudit } from '../audit/recordAudit';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { listIncidents, resolveIncident } from '../reconciliation/incidents';
import { startReconciliation } from '../reconciliation/startReconciliation';
import { CliExitError } from './cliError';
import { parseLimit } from './options';
import { printJson, printTable } from './io';
import { withOperator, type CliEnvironment } from './operatorContext';

async function loadRun(db: Kysely<Database>, id: string) {
  return db.selectFrom('reconciliation_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

// eslint-disable-next-line max-lines-per-function -- a table of commander subcommands (options and one small action each)
export function registerReconciliationCommands(program: Command, env: CliEnvironment): void {
  const { io } = env;

  program
    .command('reconcile')
    .description("Reconcile a window now: compare the partners' call log with processed terminal events, replay what is missing, raise incidents")
    .requiredOption('--from <time>', 'window start, inclusive (ISO 8601, on voice_sessions.ended_at)')
    .requiredOption('--to <time>', 'window end, exclusive (ISO 8601)')
    .option('--partner <partner_id>', 'one partner (default: all)')
    .option('--wait', 'wait for the run to finish and print its counts')
    .option('--json', 'print JSON')
    .action(async (opts: { from: string; to: string; partner?: string; wait?: boolean; json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const deps = await ctx.domainDeps();
        const started = await startReconciliation(deps, { from: opts.from, to: opts.to, partnerId: opts.partner ?? null });
        await recordAudit(ctx.db, OPERATOR_CLI_ACTOR, { action: 'reconciliation.started', partnerId: opts.partner ?? null, target: { type: 'reconciliation', id: started.id }, detail: { window_from: started.window_from, window_to: started.window_to } });
        if (!opts.wait) {
          if (opts.json) return printJson(io, started);
          io.out(`reconciliation ${started.id} started (workflow ${started.workflow_id}) for ${started.window_from} .. ${started.window_to}\n`);
          return;
        }
        io.err(`waiting for ${started.workflow_id}…\n`);
        await deps.temporal.workflow.getHandle(started.workflow_id).result();
        const run = await loadRun(ctx.db, started.id);
        const incidents = await ctx.db.selectFrom('incidents').select('id').where('reconciliation_run_id', '=', started.id).execute();
        const summary = { ...started, ...run, incidents: incidents.map((i) => i.id) };
        if (opts.json) return printJson(io, summary);
        io.out(
          `reconciliation ${started.id} ${run?.status}: ${run?.terminal_calls} terminal calls, ${run?.missing} missing, ` +
            `${run?.replayed} replayed, ${run?.in_flight} in flight, ${run?.failed} failed, incidents: ${incidents.map((i) => i.id).join(', ') || 'none'}\n`,
        );
      }),
    );

  const incidents = program.command('incidents').description('Incidents raised by reconciliation');
  incidents
    .command('list')
    .description('Incidents, newest first (same as GET /v1/incidents)')
    .option('--status <status>', 'open | resolved')
    .option('--partner <partner_id>', 'only this partner')
    .option('--limit <n>', 'at most n rows', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; partner?: string; limit: string; json?: boolean }) => {
      if (opts.status && opts.status !== 'open' && opts.status !== 'resolved') throw new CliExitError('--status must be open or resolved', 2);
      return withOperator(env, async (ctx) => {
        const { data: rows } = await listIncidents(ctx.db, { partnerId: opts.partner, status: opts.status as 'open' | 'resolved' | undefined, limit: parseLimit(opts.limit) });
        if (opts.json) return printJson(io, rows);
        printTable(io, rows, ['id', 'status', 'severity', 'partner_id', 'created_at', 'summary'], '(no incidents)');
      });
    });
  incidents
    .command('resolve')
    .description('Resolve an open incident (records incident.resolved)')
    .argument('<incident_id>', 'inc_…')
    .option('--note <text>', 'what was done')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { note?: string; json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const row = await audited(
          ctx.db,
          OPERATOR_CLI_ACTOR,
          (trx) => resolveIncident({ db: trx, logger: ctx.logger }, { id, note: opts.note, by: 'cli' }),
          (i) => ({ action: 'incident.resolved', partnerId: i.partner_id, target: { type: 'incident', id: i.id } }),
        );
        if (opts.json) return printJson(io, row);
        io.out(`incident ${row.id} resolved\n`);
      }),
    );
}
