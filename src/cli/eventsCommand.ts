import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { loadEventView } from '../operator/eventView';
import type { Database } from '../db/schema';
import { parseWorkflowId } from '../domain/workflowIds';
import { CliExitError } from './cliError';
import { printJson, printTable, type CliIO } from './io';
import { withOperator, type CliEnvironment } from './operatorContext';

/**
 * Which event an operator means: an event id, an event workflow id (also `…:release`), or a
 * delivery workflow id (also `…:redrive:n`) as copied from the Temporal UI.
 */
export async function resolveEventId(db: Kysely<Database>, ref: string): Promise<string | undefined> {
  const parsed = parseWorkflowId(ref);
  const unreleased = parsed.kind === 'release' ? parsed.eventWorkflowId : ref;
  const byEvent = await db
    .selectFrom('events')
    .select('id')
    .where((eb) => eb.or([eb('id', '=', ref), eb('workflow_id', '=', ref), eb('workflow_id', '=', unreleased)]))
    .executeTakeFirst();
  if (byEvent) return byEvent.id;
  const base = parsed.kind === 'redrive' ? parsed.deliveryWorkflowId : ref;
  const byDelivery = await db
    .selectFrom('deliveries')
    .select('event_id')
    .where((eb) => eb.or([eb('workflow_id', '=', ref), eb('workflow_id', '=', base)]))
    .executeTakeFirst();
  return byDelivery?.event_id;
}

type EventView = NonNullable<Awaited<ReturnType<typeof loadEventView>>>;

function printEventView(io: CliIO, v: EventView): void {
  io.out(`event     ${v.id}  ${v.event_type}  call ${v.call_id}\n`);
  io.out(`status    ${v.status}  (source ${v.source})\n`);
  io.out(`partner   ${v.partner_id}   tenant ${v.tenant_id ?? '-'}\n`);
  io.out(`workflow  ${v.workflow_id}\n`);
  io.out(`received  ${v.received_at.toISOString()}   updated ${v.updated_at.toISOString()}\n\ncheckpoints\n`);
  printTable(
    io,
    v.checkpoints.map((c) => ({ at: c.at, stage: c.stage, detail: c.detail ? JSON.stringify(c.detail) : null })),
    ['at', 'stage', 'detail'],
  );
  for (const d of v.deliveries) {
    io.out(`\ndelivery  ${d.id}  ${d.status}  endpoint ${d.endpoint_id} (${new URL(d.endpoint_url).host})\n`);
    io.out(`          attempts ${d.attempt_count}, redrives ${d.redrive_count}, workflow ${d.workflow_id ?? '-'}\n`);
    if (d.dead_letter_reason) io.out(`          dead-lettered: ${d.dead_letter_reason}\n`);
    printTable(
      io,
      d.attempts.map((a) => ({ '#': a.attempt_number, started: a.started_at, ms: a.duration_ms, status: a.status_code, error: a.error, response: a.response_body?.slice(0, 60) })),
      ['#', 'started', 'ms', 'status', 'error', 'response'],
      '          (no attempts yet)',
    );
  }
}

export function registerEventsCommands(program: Command, env: CliEnvironment): void {
  const events = program.command('events').description('Inspect events');
  events
    .command('show')
    .description('An event with its checkpoints, deliveries and every attempt (same view as GET /v1/events/{id})')
    .argument('<ref>', 'event id (evt_…), event workflow id, or delivery workflow id')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) =>
      withOperator(env, async (ctx) => {
        const eventId = await resolveEventId(ctx.db, ref);
        const view = eventId ? await loadEventView(ctx.db, eventId, {}) : undefined;
        if (!view) throw new CliExitError(`no event found for ${ref}`, 2);
        if (opts.json) printJson(env.io, view);
        else printEventView(env.io, view);
      }),
    );
}
