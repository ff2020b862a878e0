import type { Command } from 'commander';
import { OPERATOR_CLI_ACTOR } from '../audit/auditActor';
import { auditQuarantineDecision } from '../audit/auditSubjects';
import type { QuarantineStatus } from '../domain/statuses';
import { discardQuarantined, listQuarantine, releaseQuarantined } from '../operator/quarantineReview';
import { CliExitError } from './cliError';
import { parseLimit } from './options';
import { printJson, printTable } from './io';
import { withOperator, type CliEnvironment } from './operatorContext';

const STATUSES: QuarantineStatus[] = ['open', 'released', 'discarded'];

export function registerQuarantineCommands(program: Command, env: CliEnvironment): void {
  const { io } = env;
  const quarantine = program.command('quarantine').description('Review quarantined events (tenant conflict, foreign tenant, unroutable)');

  quarantine
    .command('list')
    .description('Quarantined events, newest first (same as GET /v1/quarantine)')
    .option('--status <status>', 'open | released | discarded (default: all)')
    .option('--limit <n>', 'at most n rows', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; limit: string; json?: boolean }) => {
      if (opts.status && !STATUSES.includes(opts.status as QuarantineStatus)) throw new CliExitError(`--status must be one of ${STATUSES.join(', ')}`, 2);
      return withOperator(env, async (ctx) => {
        const { data: rows } = await listQuarantine(ctx.db, {}, { status: opts.status as QuarantineStatus | undefined, limit: parseLimit(opts.limit) });
        if (opts.json) return printJson(io, rows);
        printTable(io, rows, ['id', 'status', 'reason', 'partner_id', 'event_type', 'call_id', 'created_at', 'released_tenant_id'], '(quarantine is empty)');
      });
    });

  quarantine
    .command('release')
    .description("Deliver a quarantined event to one of its partner's tenants (runs its event workflow as <id>:release)")
    .argument('<quarantine_id>', 'qtn_…')
    .requiredOption('--tenant <tenant_id>', 'the tenant to deliver to')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { tenant: string; json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const out = await releaseQuarantined(await ctx.domainDeps(), id, opts.tenant, {});
        await auditQuarantineDecision(ctx.db, OPERATOR_CLI_ACTOR, out);
        if (opts.json) return printJson(io, out);
        io.out(`released ${out.id} (event ${out.event_id}) to ${out.tenant_id}: workflow ${out.workflow_id}\n`);
      }),
    );

  quarantine
    .command('discard')
    .description('Never deliver a quarantined event (kept for audit)')
    .argument('<quarantine_id>', 'qtn_…')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const out = await discardQuarantined(ctx.db, id, {});
        await auditQuarantineDecision(ctx.db, OPERATOR_CLI_ACTOR, out);
        if (opts.json) return printJson(io, out);
        io.out(`discarded ${out.id} (event ${out.event_id})\n`);
      }),
    );
}
