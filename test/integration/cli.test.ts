import { sql } from 'kysely';
import { seedEndpoint, seedPartner, seedTenant, waitForWorkflowResult } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { captureHistory, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';
import { runCli, runCliJson } from './cliHelpers';

/**
 * Every operator command on the real stack (embedded Postgres, Temporal dev server, real worker),
 * run in-process through buildProgram() with the stack's configuration and admin scope.
 */
describe('switchboard CLI: events, deliveries, quarantine, reconcile, incidents', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let receiver: Receiver;
  let tenantId: string;
  let endpointId: string;
  let accepting = false;
  const secrets: string[] = [];
  const deadEvents: Array<{ event_id: string; workflow_id: string }> = [];

  beforeAll(async () => {
    stack = await startTestStack();
    partner = await seedPartner(stack, 'CLI Voice');
    secrets.push(partner.inbound_secret);
    // 400 is permanent: each delivery is dead-lettered after one attempt, until `accepting`.
    receiver = await startReceiver(() => (accepting ? { status: 200 } : { status: 400, body: 'rejected by receiver' }));
    const tenant = await seedTenant(stack, partner.id, 'CLI tenant', [['crm_account_id', 'crm-cli']]);
    tenantId = tenant.id;
    const endpoint = await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
    endpointId = endpoint.id;
    secrets.push(endpoint.secret);
    for (let i = 0; i < 3; i++) {
      const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('cli-dead'), tenant_id: tenantId });
      expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });
      deadEvents.push(ack);
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('--help works on every command', async () => {
    const paths = [[], ['events', 'show'], ['deliveries', 'list'], ['deliveries', 'redrive'], ['replay'], ['reconcile'], ['incidents', 'list'], ['incidents', 'resolve'], ['quarantine', 'list'], ['quarantine', 'release'], ['quarantine', 'discard'], ['receive'], ['worker'], ['server'], ['migrate'], ['start']];
    for (const p of paths) {
      const r = await runCli(stack, [...p, '--help']);
      expect(r.error?.message).toBe('(outputHelp)');
      expect(r.stdout).toContain(`Usage: switchboard ${p.join(' ')}`.trimEnd());
    }
  });

  it('events show: the event, checkpoints, deliveries and attempts, by event id or by either workflow id', async () => {
    const { event_id, workflow_id } = deadEvents[0]!;
    const view = await runCliJson<{ id: string; status: string; checkpoints: Array<{ stage: string }>; deliveries: Array<{ id: string; status: string; workflow_id: string; attempts: Array<{ status_code: number; response_body: string }> }> }>(stack, ['events', 'show', event_id]);
    expect(view).toMatchObject({ id: event_id, status: 'dead_lettered' });
    expect(view.checkpoints.map((c) => c.stage)).toEqual(['received', 'tenant_resolved', 'delivering', 'dead_lettered']);
    expect(view.deliveries).toHaveLength(1);
    expect(view.deliveries[0]!.attempts).toEqual([expect.objectContaining({ status_code: 400, response_body: 'rejected by receiver' })]);

    const byEventWorkflow = await runCliJson<{ id: string }>(stack, ['events', 'show', workflow_id]);
    const byDeliveryWorkflow = await runCliJson<{ id: string }>(stack, ['events', 'show', view.deliveries[0]!.workflow_id]);
    expect([byEventWorkflow.id, byDeliveryWorkflow.id]).toEqual([event_id, event_id]);

    const text = await runCli(stack, ['events', 'show', event_id]);
    expect(text.stdout).toMatch(/status\s+dead_lettered/);
    expect(text.stdout).toContain('rejected by receiver');

    const missing = await runCli(stack, ['events', 'show', 'evt_nope']);
    expect(missing.error).toMatchObject({ exitCode: 2, message: 'no event found for evt_nope' });
  });

  it('deliveries list: filters by status, tenant, endpoint, since, limit', async () => {
    const dead = await runCliJson<Array<{ id: string; status: string; tenant_id: string; last_status_code: number }>>(stack, ['deliveries', 'list', '--status', 'dead_lettered', '--tenant', tenantId, '--endpoint', endpointId, '--since', '1h']);
    expect(dead).toHaveLength(3);
    expect(dead.every((d) => d.status === 'dead_lettered' && d.tenant_id === tenantId && d.last_status_code === 400)).toBe(true);
    expect(await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--status', 'delivered', '--tenant', tenantId])).toEqual([]);
    expect(await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--status', 'dead_lettered', '--tenant', 'ten_other'])).toEqual([]);
    expect(await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--status', 'dead_lettered', '--since', new Date(Date.now() + 60_000).toISOString()])).toEqual([]);
    expect(await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--limit', '2'])).toHaveLength(2);
    const bad = await runCli(stack, ['deliveries', 'list', '--status', 'lost']);
    expect(bad.error?.message).toMatch(/Allowed choices are pending, delivering, delivered, dead_lettered, waiting_circuit/);
  });

  it('deliveries redrive: --dry-run starts nothing; one id; then --all-dead-lettered with a progress bar; all delivered once', async () => {
    const dead = await runCliJson<Array<{ id: string; event_id: string }>>(stack, ['deliveries', 'list', '--status', 'dead_lettered', '--tenant', tenantId]);
    const dry = await runCliJson<{ dry_run: boolean; would_redrive: string[] }>(stack, ['deliveries', 'redrive', '--all-dead-lettered', '--tenant', tenantId, '--dry-run']);
    expect(dry.would_redrive.sort()).toEqual(dead.map((d) => d.id).sort());
    expect(receiver.requests).toHaveLength(3);
    expect(await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--status', 'dead_lettered', '--tenant', tenantId])).toHaveLength(3);

    accepting = true;
    const [first, ...rest] = dead;
    const one = await runCliJson<{ redriven: number; outcomes: Array<{ delivery_id: string; redriven: boolean; workflow_id: string }> }>(stack, ['deliveries', 'redrive', first!.id]);
    expect(one).toMatchObject({ redriven: 1, outcomes: [{ delivery_id: first!.id, redriven: true }] });
    expect(one.outcomes[0]!.workflow_id).toMatch(/:redrive:1$/);
    await settle(stack, one.outcomes[0]!.workflow_id);

    const bulk = await runCli(stack, ['deliveries', 'redrive', '--all-dead-lettered', '--tenant', tenantId]);
    expect(bulk.error).toBeUndefined();
    expect(bulk.stderr).toContain('redrive 2/2');
    expect(bulk.stdout).toContain('2 of 2 redriven');
    await waitUntil('every redriven delivery delivered', async () => (await runCliJson<unknown[]>(stack, ['deliveries', 'list', '--status', 'delivered', '--tenant', tenantId])).length === 3);
    // Redriving again is a no-op (idempotent): nothing is dead-lettered any more.
    const again = await runCliJson<{ redriven: number; outcomes: Array<{ status: string }> }>(stack, ['deliveries', 'redrive', first!.id]);
    expect(again).toMatchObject({ redriven: 0, outcomes: [{ status: 'delivered' }] });
    expect(receiver.uniqueWebhookIds()).toEqual(new Set(deadEvents.map((e) => e.event_id)));
    expect(rest).toHaveLength(2);

    const usage = await runCli(stack, ['deliveries', 'redrive']);
    expect(usage.error).toMatchObject({ exitCode: 2, message: 'give delivery ids or --all-dead-lettered' });
  });

  it('quarantine list, release and discard', async () => {
    accepting = true;
    const tenantB = await seedTenant(stack, partner.id, 'CLI tenant B', [['partner_tenant_ref', 'ref-cli-B']]);
    secrets.push((await seedEndpoint(stack, partner.id, tenantB.id, { url: receiver.url })).secret);
    // Conflicting keys (account -> tenant A, ref -> tenant B): quarantined.
    const conflicting = () =>
      sendEvent(stack, partner, { call_id: uniqueCallId('cli-q'), runtime_vars: { crm_account_id: 'crm-cli', partner_tenant_ref: 'ref-cli-B' } });
    const a = await conflicting();
    const b = await conflicting();
    for (const ack of [a, b]) expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'quarantined' });

    const open = await runCliJson<Array<{ id: string; event_id: string; status: string; reason: string }>>(stack, ['quarantine', 'list', '--status', 'open']);
    expect(open.map((q) => q.event_id).sort()).toEqual([a.event_id, b.event_id].sort());
    const qa = open.find((q) => q.event_id === a.event_id)!;
    const qb = open.find((q) => q.event_id === b.event_id)!;

    const released = await runCliJson<{ status: string; workflow_id: string }>(stack, ['quarantine', 'release', qa.id, '--tenant', tenantB.id]);
    expect(released).toMatchObject({ status: 'released', workflow_id: `${a.workflow_id}:release` });
    expect(await settle(stack, released.workflow_id)).toMatchObject({ status: 'delivered' });

    expect(await runCliJson(stack, ['quarantine', 'discard', qb.id])).toMatchObject({ status: 'discarded', event_id: b.event_id });
    const twice = await runCli(stack, ['quarantine', 'discard', qb.id]);
    expect(twice.error?.message).toMatch(/already discarded/);
    expect(await runCliJson<unknown[]>(stack, ['quarantine', 'list', '--status', 'open'])).toEqual([]);
  });

  it('reconcile finds missing terminal events, replays them and raises an incident; incidents list and resolve', async () => {
    const base = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000);
    const from = base.toISOString();
    const to = new Date(base.getTime() + 3_600_000).toISOString();
    // Two calls ended in the window that never produced a webhook: 100% missing.
    const calls = [uniqueCallId('lost'), uniqueCallId('lost')];
    for (const [i, call] of calls.entries()) {
      await sql`insert into voice_sessions (partner_id, call_id, tenant_id, status, started_at, ended_at, terminal, updated_at)
        values (${partner.id}, ${call}, ${tenantId}, 'ended', ${from}::timestamptz, ${from}::timestamptz + ${`${i + 1} minutes`}::interval, true, now())`.execute(stack.core.database.db);
    }

    const run = await runCliJson<{ id: string; status: string; missing: number; replayed: number; terminal_calls: number; incidents: string[]; workflow_id: string }>(stack, ['reconcile', '--from', from, '--to', to, '--partner', partner.id, '--wait']);
    expect(run).toMatchObject({ status: 'completed', terminal_calls: 2, missing: 2, replayed: 2 });
    expect(run.incidents).toHaveLength(1);
    await captureHistory(stack, run.workflow_id, 'reconciliation-incident', secrets);
    // The replayed (synthesized) events are delivered like any event.
    for (const call of calls) {
      const ev = await stack.core.database.db.selectFrom('events').select(['workflow_id', 'source']).where('call_id', '=', call).executeTakeFirstOrThrow();
      expect(ev.source).toBe('reconciliation');
      expect(await waitForWorkflowResult(stack, ev.workflow_id)).toMatchObject({ status: 'delivered' });
    }

    const open = await runCliJson<Array<{ id: string; status: string; severity: string; partner_id: string }>>(stack, ['incidents', 'list', '--status', 'open', '--partner', partner.id]);
    expect(open).toEqual([expect.objectContaining({ id: run.incidents[0], status: 'open', severity: 'critical', partner_id: partner.id })]);
    const resolved = await runCliJson<{ status: string; resolution_note: string }>(stack, ['incidents', 'resolve', run.incidents[0]!, '--note', 'partner replayed their webhooks']);
    expect(resolved).toMatchObject({ status: 'resolved', resolution_note: 'partner replayed their webhooks' });
    expect(await runCliJson<unknown[]>(stack, ['incidents', 'list', '--status', 'open', '--partner', partner.id])).toEqual([]);
    const again = await runCli(stack, ['incidents', 'resolve', run.incidents[0]!]);
    expect(again.error?.message).toBe('incident is already resolved');
    const ops = await stack.core.database.db.selectFrom('operational_events').select('detail').where('type', '=', 'incident.resolved').execute();
    expect(ops.map((o) => o.detail)).toEqual([expect.objectContaining({ incident_id: run.incidents[0], by: 'cli' })]);
    // The operator CLI's privileged actions are in the audit log too, named as the CLI (no key).
    const audited = await stack.core.database.db.selectFrom('audit_log').select(['action', 'actor_kind', 'actor_key_id']).orderBy('id').execute();
    expect(new Set(audited.map((r) => `${r.actor_kind}:${r.actor_key_id}:${r.action}`))).toEqual(
      new Set(['operator_cli:null:delivery.redriven', 'operator_cli:null:quarantine.released', 'operator_cli:null:quarantine.discarded', 'operator_cli:null:reconciliation.started', 'operator_cli:null:incident.resolved']),
    );

    const badWindow = await runCli(stack, ['reconcile', '--from', to, '--to', from]);
    expect(badWindow.error?.message).toBe('invalid window');
  });
});
