import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { chromiumAvailable, launchHeadlessChromium, type HeadlessBrowser } from '../support/headlessChromium';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { eventView, sendEvent, settle, uniqueCallId, waitUntil } from '../integration/deliveryHelpers';

/**
 * The Temporal Web UI as an operator uses it: filter the workflow list by tenant and
 * DeliveryStatus = "dead_lettered", open the failing delivery, read what went wrong. Runs the
 * machine's Debian Chromium headless through playwright-core (no browser download).
 */
const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

(chromiumAvailable('temporalUi.test') ? describe : describe.skip)('Temporal UI: an operator finds and reads a dead-lettered delivery', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let chromium: HeadlessBrowser;
  let page: Page;
  const ui = process.env['SWITCHBOARD_TEST_TEMPORAL_UI']!;

  beforeAll(async () => {
    stack = await startTestStack();
    // The first attempt (inside the event workflow) meets a 503, so the delivery is handed to its
    // own workflow; there the retry meets a 400 and the delivery is dead-lettered.
    receiver = await startReceiver((req) => (req.n === 1 ? { status: 503 } : { status: 400, body: 'unknown customer' }));
    chromium = await launchHeadlessChromium({ width: 1600, height: 1000 });
    page = chromium.page;
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await receiver?.close();
    await stack?.close();
  });

  it('filters by TenantId and DeliveryStatus, opens the delivery, shows its summary and the failure', async () => {
    // A delivery dead-lettered through the real stack: the receiver answers 503, then 400.
    const partner = await seedPartner(stack, 'UI Voice');
    const tenant = await seedTenant(stack, partner.id, 'UI tenant');
    // Ids with what Markdown would typeset: "--" (an en dash), `_x_` (italics), a backtick.
    const endpointId = await withTypesettableId(stack, (await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url })).id);
    const callId = uniqueCallId('ui--_x_--`');
    const ack = await sendEvent(stack, partner, { call_id: callId, tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });
    const delivery = (await eventView(stack, ack.event_id)).deliveries[0]!;
    expect(delivery.endpoint_id).toBe(endpointId);
    const host = new URL(receiver.url).host;

    const query = `TenantId = "${tenant.id}" AND DeliveryStatus = "dead_lettered"`;
    // Visibility is eventually consistent: wait until the server itself answers the query.
    await waitUntil('visibility to list both dead-lettered workflows', async () => {
      let n = 0;
      for await (const _ of stack.temporal.workflow.list({ query })) n++;
      return n === 2;
    });

    await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    // Both the event workflow and its delivery child are listed, and nothing else ("2 Workflows").
    const deliveryLink = page.getByRole('link', { name: delivery.workflow_id, exact: true });
    await deliveryLink.waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: ack.workflow_id, exact: true }).waitFor();
    // The count is loaded by a separate request: wait for it rather than race it.
    await page.waitForFunction('/\\b2\\s+Workflows\\b/.test(document.body.innerText)', undefined, { timeout: 30_000 });
    const listText = await page.locator('body').innerText();
    // The filter chips the query turned into.
    expect(listText).toMatch(new RegExp(`TenantId\\s*=\\s*"${tenant.id}"`));
    expect(listText).toMatch(/DeliveryStatus\s*=\s*"dead_lettered"/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-dead-lettered-list.png'), fullPage: true });

    await deliveryLink.click();
    // The workflow page: the failing delivery's result says why, the timeline names the failed POST ...
    await page.getByText('permanent failure: endpoint answered 400').first().waitFor({ timeout: 30_000 });
    const detailText = await page.locator('body').innerText();
    expect(detailText).toContain(delivery.workflow_id);
    expect(detailText).toMatch(/"status": "dead_lettered"/);
    // This UI shows event summaries as plain text, so the backticks of the host's code span show
    // (UIs that render them as Markdown show the host as code, as the summary below).
    expect(detailText).toContain(`deliverWebhook • POST to \`${host}\` (up to 3 attempts)`);
    // Database steps are local activities: the timeline shows them as such, with their summary.
    expect(detailText).toMatch(/Local Activity[\s\S]{0,60}markDeadLettered[\s\S]{0,60}Park in the dead letter/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-dead-lettered-delivery.png'), fullPage: true });

    // ... and, under User Metadata, its summary and current details.
    const metadata = await userMetadataText(page, (text) => text.includes('Deliver call.ended to') && text.includes('dead_lettered after 2 attempts'));
    expect(metadata).toContain(`Deliver call.ended to ${host}`);
    expect(metadata).toContain('permanent failure: endpoint answered 400');
    // Every id exactly as an operator must copy it, character for character.
    expect(metadata).toContain(`delivery ${delivery.id}, endpoint ${delivery.endpoint_id}, event ${ack.event_id}`);
    expect(await page.locator('body').innerText()).toMatch(/POST to [^\n]+\(up to 3 attempts\)\s*Failed/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-dead-lettered-summary.png'), fullPage: true });

    // The event workflow made the first attempt itself, inside its workflow task (its one local
    // activity, routeAndDeliver), visible in its own timeline with its summary.
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(ack.workflow_id)}`);
    await page.getByText('Hand the delivery over to its own workflow').first().waitFor({ timeout: 30_000 });
    const eventText = await page.locator('body').innerText();
    expect(eventText).toMatch(/Local Activity[\s\S]{0,60}routeAndDeliver[\s\S]{0,60}Route [\w.]+, plan and make the first attempts/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-event-first-attempt.png'), fullPage: true });

    // Its summary names the call by the id the partner sent, "--", underscores and backtick as sent.
    const eventMetadata = await userMetadataText(page, (text) => text.includes('call.ended for call') && text.includes('from partner'));
    expect(eventMetadata).toContain(`call.ended for call ${callId}`);
    expect(eventMetadata).toContain(`event ${ack.event_id} from partner ${partner.id}`);
  });
});

/**
 * Gives a new endpoint an id with "--" and `_x_` in it. Ids are random base64url and about one in
 * 300 has a "--" (the cluster-profile run met one); this makes the test meet one every time. The
 * endpoint has no deliveries yet, so only its signing secret refers to it.
 */
async function withTypesettableId(stack: TestStack, endpointId: string): Promise<string> {
  const id = `${endpointId.slice(0, 12)}--_x_--${endpointId.slice(12)}`;
  await stack.core.database.db.transaction().execute(async (trx) => {
    await trx.updateTable('endpoints').set({ id }).where('id', '=', endpointId).execute();
    await trx.updateTable('signing_secrets').set({ owner_id: id }).where('owner_kind', '=', 'endpoint').where('owner_id', '=', endpointId).execute();
  });
  return id;
}

/**
 * The User Metadata tab's text (summary, details, current details) once `rendered` holds. The UI
 * renders these as Markdown in sandboxed iframes, so this reads the frames' text. `rendered`
 * looks at words, not ids, so that a mangled id fails the assertion after it, not this wait.
 */
async function userMetadataText(page: Page, rendered: (text: string) => boolean): Promise<string> {
  await page.getByRole('link', { name: 'User Metadata' }).or(page.getByRole('tab', { name: 'User Metadata' })).first().click();
  const frameTexts = async () =>
    (await Promise.all(page.frames().map((f) => f.evaluate('document.body ? document.body.innerText : ""').catch(() => '')))).join('\n');
  return waitUntil('the summary and current details to render', async () => {
    const text = await frameTexts();
    return rendered(text) ? text : undefined;
  });
}
