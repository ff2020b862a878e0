import { Option, type Command } from 'commander';
import { OPERATOR_CLI_ACTOR } from '../audit/auditActor';
import { auditRedrive } from '../audit/auditSubjects';
import type { DeliveryStatus } from '../domain/statuses';
import { listDeliveries } from '../operator/eventView';
import { findRedrivable, redriveDelivery, redriveMatching, type RedriveOutcome } from '../operator/redrive';
import { CliExitError } from './cliError';
import { printJson, printTable } from './io';
import { withOperator, type CliEnvironment } from './operatorContext';
import { parseLimit, parseSince } from './options';
import { ProgressBar } from './progress';

const STATUSES: DeliveryStatus[] = ['pending', 'delivering', 'delivered', 'dead_lettered', 'waiting_circuit'];

// eslint-disable-next-line max-lines-per-function -- a table of commander subcommands (options and one small action each)
export function registerDeliveriesCommands(program: Command, env: CliEnvironment): void {
  const { io } = env;
  const deliveries = program.command('deliveries').description('List and redrive deliveries');

  deliveries
    .command('list')
    .description('Deliveries, newest activity first (same query as GET /v1/deliveries)')
    .addOption(new Option('--status <status>', 'only this status').choices(STATUSES))
    .option('--tenant <tenant_id>', 'only this tenant')
    .option('--endpoint <endpoint_id>', 'only this endpoint')
    .option('--since <time>', 'updated at or after: ISO timestamp or a duration back from now (24h, 7d)')
    .option('--limit <n>', 'at most n rows (1..10000)', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: DeliveryStatus; tenant?: string; endpoint?: string; since?: string; limit: string; json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const { data: rows } = await listDeliveries(
          ctx.db,
          { status: opts.status, tenant_id: opts.tenant, endpoint_id: opts.endpoint, since: opts.since ? parseSince(opts.since) : undefined, limit: parseLimit(opts.limit) },
          {},
        );
        if (opts.json) return printJson(io, rows);
        printTable(
          io,
          rows.map((r) => ({ ...r, reason: r.dead_letter_reason ?? r.last_error })),
          ['id', 'status', 'event_type', 'call_id', 'tenant_id', 'endpoint_id', 'attempt_count', 'last_status_code', 'updated_at', 'reason'],
          '(no deliveries match)',
        );
      }),
    );

  deliveries
    .command('redrive')
    .description('Re-run dead-lettered deliveries through the same delivery workflow (same webhook-id); idempotent')
    .argument('[delivery_ids...]', 'deliveries to redrive (dlv_…)')
    .option('--all-dead-lettered', 'every dead-lettered delivery matching --tenant/--endpoint')
    .option('--tenant <tenant_id>', 'with --all-dead-lettered: only this tenant')
    .option('--endpoint <endpoint_id>', 'with --all-dead-lettered: only this endpoint')
    .option('--limit <n>', 'with --all-dead-lettered: at most n deliveries', '1000')
    .option('--dry-run', 'show what would be redriven, start nothing')
    .option('--json', 'print JSON')
    .action(
      async (
        ids: string[],
        opts: { allDeadLettered?: boolean; tenant?: string; endpoint?: string; limit: string; dryRun?: boolean; json?: boolean },
      ) => {
        if (ids.length > 0 && opts.allDeadLettered) throw new CliExitError('give delivery ids or --all-dead-lettered, not both', 2);
        if (ids.length === 0 && !opts.allDeadLettered) throw new CliExitError('give delivery ids or --all-dead-lettered', 2);
        if (!opts.allDeadLettered && (opts.tenant || opts.endpoint)) throw new CliExitError('--tenant/--endpoint filter --all-dead-lettered only', 2);
        return withOperator(env, async (ctx) => {
          const filter = { tenant_id: opts.tenant, endpoint_id: opts.endpoint, limit: parseLimit(opts.limit) };
          if (opts.dryRun) {
            const candidates = opts.allDeadLettered ? await findRedrivable(ctx.db, filter, {}) : ids;
            const rows = (await listDeliveries(ctx.db, { status: 'dead_lettered', limit: 10_000 }, {})).data.filter((r) => candidates.includes(r.id));
            if (opts.json) return printJson(io, { dry_run: true, would_redrive: rows.map((r) => r.id) });
            io.out(`dry run: ${rows.length} dead-lettered deliver${rows.length === 1 ? 'y' : 'ies'} would be redriven\n`);
            printTable(io, rows, ['id', 'event_type', 'call_id', 'tenant_id', 'endpoint_id', 'attempt_count', 'dead_letter_reason']);
            const skipped = ids.filter((id) => !rows.some((r) => r.id === id));
            if (skipped.length) io.out(`not dead-lettered (would be left alone): ${skipped.join(', ')}\n`);
            return;
          }
          const deps = await ctx.domainDeps();
          let outcomes: RedriveOutcome[];
          if (opts.allDeadLettered) {
            let bar: ProgressBar | undefined;
            outcomes = await redriveMatching(deps, filter, {}, {
              start: (total) => (bar = new ProgressBar(io, 'redrive', total)),
              done: (o) => bar?.tick(o?.delivery_id ?? ''),
            });
          } else {
            const bar = new ProgressBar(io, 'redrive', ids.length);
            outcomes = [];
            for (const id of ids) {
              outcomes.push((await redriveDelivery(deps, id, {})) ?? { delivery_id: id, redriven: false, status: 'not_found' });
              bar.tick(id);
            }
          }
          for (const o of outcomes) if (o.redriven) await auditRedrive(deps.db, OPERATOR_CLI_ACTOR, o, !!opts.allDeadLettered);
          const started = outcomes.filter((o) => o.redriven).length;
          if (opts.json) printJson(io, { redriven: started, outcomes });
          else {
            printTable(io, outcomes, ['delivery_id', 'redriven', 'status', 'workflow_id'], '(nothing to redrive)');
            io.out(`${started} of ${outcomes.length} redriven\n`);
          }
          if (outcomes.some((o) => o.status === 'not_found')) throw new CliExitError('some deliveries were not found', 2);
        });
      },
    );
}
