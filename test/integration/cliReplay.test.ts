import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { sendEvent, settle, uniqueCallId } from './deliveryHelpers';
import { runCli, runCliJson } from './cliHelpers';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');

/**
 * A copy of workflows/ with one deliberately non-deterministic change: eventWorkflow sleeps
 * before its first activity, as someone "just adding a delay" would. Imports are made absolute so
 * the copy bundles from anywhere under the repo (where node_modules resolve).
 */
function writeNonDeterministicWorkflows(): string {
  const root = path.join(REPO, 'test', '.replay-tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, 'workflows-'));
  for (const f of readdirSync(path.join(REPO, 'workflows'))) {
    let text = readFileSync(path.join(REPO, 'workflows', f), 'utf8').replace(/from '\.\.\//g, `from '${REPO}/`);
    if (f === 'eventWorkflow.ts') {
      const signature = 'export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {';
      if (!text.includes(signature)) throw new Error('eventWorkflow signature changed: update this test');
      text = `import { sleep as addedSleep } from '@temporalio/workflow';\n` + text.replace(signature, `${signature}\n  await addedSleep('1 second');`);
    }
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

interface ReplayJson {
  replayed: number;
  failed: number;
  results: Array<{ workflowId: string; ok: boolean; failure?: string; message?: string }>;
}

describe('switchboard replay', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let eventWorkflowId: string;
  let historyFile: string;
  let modifiedWorkflows: string;
  mkdirSync(path.join(REPO, 'test', 'artifacts'), { recursive: true });
  const tmp = mkdtempSync(path.join(REPO, 'test', 'artifacts', 'replay-'));

  beforeAll(async () => {
    stack = await startTestStack();
    // The first attempt fails, so the delivery is handed to its own child workflow: two histories.
    receiver = await startReceiver((req) => (req.n === 1 ? { status: 503 } : { status: 204 }));
    const partner = await seedPartner(stack, 'Replay Voice');
    const tenant = await seedTenant(stack, partner.id, 'Replay tenant');
    await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('replay'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    eventWorkflowId = ack.workflow_id;

    // Exported exactly as an engineer would, with the real temporal CLI, default output options.
    const cli = process.env['SWITCHBOARD_TEST_TEMPORAL_CLI']!;
    const { stdout } = await run(cli, ['workflow', 'show', '--address', stack.config.temporal.address!, '--namespace', 'default', '--workflow-id', eventWorkflowId, '--output', 'json'], { maxBuffer: 16 << 20 });
    historyFile = path.join(tmp, 'history.json');
    writeFileSync(historyFile, stdout);
    modifiedWorkflows = writeNonDeterministicWorkflows();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
    rmSync(tmp, { recursive: true, force: true });
    if (modifiedWorkflows) rmSync(modifiedWorkflows, { recursive: true, force: true });
  });

  it('replays a `temporal workflow show --output json` export against the current code', async () => {
    expect(JSON.parse(readFileSync(historyFile, 'utf8')).events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    const out = await runCliJson<ReplayJson>(stack, ['replay', '--file', historyFile]);
    expect(out).toEqual({ replayed: 1, failed: 0, results: [{ workflowId: eventWorkflowId, ok: true }] });
  });

  it('fails, naming the non-determinism, when the workflow code changed incompatibly', async () => {
    const r = await runCli(stack, ['replay', '--file', historyFile, '--workflows-path', modifiedWorkflows]);
    expect(r.error).toMatchObject({ exitCode: 1 });
    expect(r.error!.message).toMatch(/not deterministic with the current workflow code/);
    expect(r.stdout).toContain(`FAIL  ${eventWorkflowId}: NON-DETERMINISTIC: `);
    expect(r.stdout).toContain('0 of 1 histories replayed cleanly');
  });

  it('replays a workflow fetched from the server by id, and every workflow matching a visibility query', async () => {
    expect(await runCliJson<ReplayJson>(stack, ['replay', eventWorkflowId])).toMatchObject({ replayed: 1, failed: 0 });
    const byQuery = await runCliJson<ReplayJson>(stack, ['replay', '--query', `TaskQueue = "${stack.config.temporal.taskQueue}"`]);
    // The event workflow and its delivery child.
    const ids = byQuery.results.map((x) => x.workflowId);
    expect(ids).toHaveLength(2);
    expect(ids).toEqual(expect.arrayContaining([eventWorkflowId, expect.stringMatching(new RegExp(`^${eventWorkflowId}:ep_`))]));
    expect(byQuery.failed).toBe(0);

    // Against the modified code only the event workflow breaks; its delivery child still replays.
    const bad = await runCli(stack, ['replay', '--query', `TaskQueue = "${stack.config.temporal.taskQueue}"`, '--workflows-path', modifiedWorkflows, '--json']);
    expect(bad.error).toMatchObject({ exitCode: 1 });
    const report = JSON.parse(bad.stdout) as ReplayJson;
    expect(report.results.filter((x) => !x.ok)).toEqual([expect.objectContaining({ workflowId: eventWorkflowId, failure: 'nondeterminism', message: expect.stringMatching(/Nondeterminism/i) })]);
  });

  it('as a process: exit 0 on the real code, exit 1 with a clear message on the modified code, 2 on a bad file', async () => {
    const bin = path.join(REPO, 'node_modules', '.bin', 'tsx');
    const main = path.join(REPO, 'src', 'cli', 'main.ts');
    const ok = await run(bin, [main, 'replay', '--file', historyFile], { cwd: REPO });
    expect(ok.stdout).toContain('1 of 1 histories replayed cleanly');

    const failed = await run(bin, [main, 'replay', '--file', historyFile, '--workflows-path', modifiedWorkflows], { cwd: REPO }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/switchboard: 1 history is not deterministic with the current workflow code/);

    const junk = path.join(tmp, 'junk.json');
    writeFileSync(junk, '{"not":"a history"}');
    const bad = await run(bin, [main, 'replay', '--file', junk], { cwd: REPO }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toContain('expected an object with a non-empty "events" array');
  });
});
