import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { seedPartner, seedTenant } from '../support/fixtures';
import { chromiumAvailable, launchHeadlessChromium, type HeadlessBrowser } from '../support/headlessChromium';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { waitUntil } from '../integration/deliveryHelpers';
import { partnerHeaders, postEvent } from '../support/inboundSigning';

/**
 * The console in a real browser (the machine's Chromium through playwright-core) on the real
 * stack: a tenant's whole delivery journey, a partner's views and portal link, what editing URLs
 * reaches, sign-out, why a partner's POSTs were refused. Screenshots of each main page go to test/artifacts/console/ (git-ignored);
 * with SWITCHBOARD_CONSOLE_SCREENSHOTS=docs they are also copied to docs/console/ (committed).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts', 'console');
const DOCS_SHOTS = path.join(ROOT, 'docs', 'console');

(chromiumAvailable('console.test') ? describe : describe.skip)('console: tenant and partner journeys in a real browser', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let chromium: HeadlessBrowser;
  let page: Page;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let tenantA: Awaited<ReturnType<typeof seedTenant>>;
  let tenantB: Awaited<ReturnType<typeof seedTenant>>;
  /** Tenant B's data, which tenant A must not reach by editing URLs. */
  const b = { endpoint: '', event: '' };
  const cspViolations: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    // The bundle the server serves (npm install builds it too; this keeps the test self-contained).
    execFileSync(process.execPath, [path.join(ROOT, 'console', 'build.mjs')], { stdio: 'pipe' });
    // A retry waits 8 s: long enough for the page to show the schedule, short enough to wait out.
    stack = await startTestStack({
      env: { DELIVERY_INITIAL_INTERVAL: '8s', DELIVERY_MAX_INTERVAL: '8s', DELIVERY_MAX_ATTEMPTS: '2', SWITCHBOARD_TEMPORAL_UI_URL: 'http://127.0.0.1:8233' },
    });
    receiver = await startReceiver(() => ({ status: 200, body: 'thanks' }));
    partner = await seedPartner(stack, 'Console Voice');
    tenantA = await seedTenant(stack, partner.id, 'Dental Clinic', [['partner_tenant_ref', 'clinic-7']]);
    tenantB = await seedTenant(stack, partner.id, 'Other Clinic');
    const epB = await api('POST', `/v1/tenants/${tenantB.id}/endpoints`, tenantB.api_key, { url: `${receiver.url}/b` });
    b.endpoint = epB.body.id;
    b.event = (await api('POST', `/v1/tenants/${tenantB.id}/endpoints/${b.endpoint}/test`, tenantB.api_key)).body.event_id;

    chromium = await launchHeadlessChromium({ width: 1280, height: 900 });
    page = chromium.page;
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.api) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await chromium?.close();
    await receiver?.close();
    await stack?.close();
  });

  async function api(method: string, route: string, key: string, body?: unknown) {
    const res = await fetch(`${stack.api}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function shot(name: string): Promise<void> {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file });
    if (process.env['SWITCHBOARD_CONSOLE_SCREENSHOTS'] === 'docs') {
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(file, path.join(DOCS_SHOTS, `${name}.png`));
    }
  }

  const open = (hash: string) => page.goto(`${stack.api}/console/#${hash}`);
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const alertText = () => page.getByRole('alert').first().innerText();

  async function signIn(key: string): Promise<void> {
    await page.goto(`${stack.api}/console/`);
    await heading('Sign in to Switchboard').waitFor();
    // Keyboard only: type the key, press Enter.
    await page.getByLabel('API key').fill(key);
    await page.keyboard.press('Enter');
  }

  /** Waits for a delivery of this endpoint to reach `status` (through the API, with a deadline). */
  const deliveryOf = (endpointId: string, status: string) =>
    waitUntil(`a ${status} delivery to ${endpointId}`, async () => {
      const list = await api('GET', `/v1/deliveries?endpoint_id=${endpointId}&status=${status}`, tenantA.api_key);
      return list.body.data[0] as { id: string; event_id: string } | undefined;
    }, 60_000);

  it('a tenant signs in, adds an endpoint, tests it, breaks it, watches the retries, fixes it and redrives', async () => {
    const res = await page.goto(`${stack.api}/console/`);
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    await heading('Sign in to Switchboard').waitFor();
    await shot('01-sign-in');
    await signIn(tenantA.api_key);
    await heading('Dental Clinic').waitFor();
    // The key is nowhere in the page or its storage; the session is an HttpOnly, Strict cookie.
    const cookie = (await chromium.browser.cookies(stack.api)).find((c) => c.name === 'switchboard_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).toBe('{}{}');
    expect(await page.content()).not.toContain(tenantA.api_key);

    // Add an endpoint (the local receiver), subscribed to the test event type.
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByRole('checkbox', { name: 'switchboard.test' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(/signing secret, shown only now/).waitFor();
    await shot('02-tenant-endpoints');
    await page.getByRole('link', { name: 'Open the endpoint' }).click();
    await heading(receiver.url).waitFor();
    const endpointId = /endpoints\/(ep_[A-Za-z0-9_-]+)/.exec(page.url())![1]!;

    // A test event, watched until it is delivered.
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.locator('.test-result').getByText('delivered', { exact: true }).waitFor({ timeout: 60_000 });
    expect(receiver.requests.some((r) => r.headers['webhook-signature'])).toBe(true);

    // Edit the event types; disable the endpoint (no test can be sent), enable it again.
    await page.getByRole('checkbox', { name: 'call.ended' }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved at .*: enabled, call\.ended, switchboard\.test\.$/).waitFor();
    await page.getByRole('checkbox', { name: 'Enabled' }).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved at .*: disabled,/).waitFor();
    await page.reload();
    await page.locator('.badge', { hasText: /^disabled$/ }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    await page.getByRole('checkbox', { name: 'Enabled' }).check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Saved at .*: enabled,/).waitFor();
    expect((await api('GET', `/v1/tenants/${tenantA.id}/endpoints/${endpointId}`, tenantA.api_key)).body).toMatchObject({ enabled: true, event_types: ['call.ended', 'switchboard.test'] });
    await page.reload();

    // Rotate the secret: the grace period is shown.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText(/keeps signing until/).waitFor();
    await page.reload();
    await page.getByText(/1 attempts, 1 succeeded, success rate 100.0 %/).waitFor();
    await shot('03-endpoint');

    // The receiver breaks: the next test event fails, the page shows the failure and the next retry.
    receiver.setBehaviour(() => ({ status: 503, body: 'down for maintenance' }));
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.locator('.test-result').getByRole('link', { name: /^evt_/ }).click();
    await page.locator('.next-retry').waitFor({ timeout: 60_000 });
    const attempts = await page.locator('article.delivery table').innerText();
    expect(attempts).toContain('503');
    expect(attempts).toContain('down for maintenance');
    expect(await page.locator('.next-retry').innerText()).toMatch(/^Next retry at /);
    await shot('04-event-retrying');
    await page.getByText(/^Dead-lettered: /).waitFor({ timeout: 60_000 });
    await page.locator('article.delivery .badge', { hasText: /^dead_lettered$/ }).waitFor();
    await shot('05-event-dead-lettered');

    // Fixed: redrive the dead letter from its page and see it delivered.
    receiver.setBehaviour(() => ({ status: 200, body: 'back' }));
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.locator('article.delivery .badge', { hasText: /^delivered$/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('article.delivery table').innerText()).toMatch(/\b200\b/);
    await page.getByRole('link', { name: 'Temporal UI ↗' }).first().waitFor();
    // The payload inspector shows the body exactly as the receiver got it.
    const eventId = /events\/(evt_[A-Za-z0-9_-]+)/.exec(page.url())![1]!;
    const lastBody = receiver.requests.at(-1)!.body;
    expect((await api('GET', `/v1/events/${eventId}`, tenantA.api_key)).body.delivered_body).toBe(lastBody);
    expect(JSON.parse(await page.locator('.inspector pre').innerText())).toEqual(JSON.parse(lastBody));
    expect(await page.locator('.inspector').innerText()).toContain(`webhook-id\n${eventId}`);
    // ... and the headers each attempt carried: the last one's signature is the one the receiver got.
    const lastSent = page.locator('details.headers-sent').last();
    await lastSent.locator('summary').click();
    expect(await lastSent.innerText()).toContain(`webhook-signature\n${String(receiver.requests.at(-1)!.headers['webhook-signature'])}`);
    await shot('06-event-redriven');

    // Once more, redriving the filtered set from the delivery log.
    receiver.setBehaviour(() => ({ status: 500, body: 'broken again' }));
    await api('POST', `/v1/tenants/${tenantA.id}/endpoints/${endpointId}/test`, tenantA.api_key);
    await deliveryOf(endpointId, 'dead_lettered');
    receiver.setBehaviour(() => ({ status: 200 }));
    await open(`/deliveries?status=dead_lettered&endpoint_id=${endpointId}`);
    await page.getByRole('button', { name: 'Redrive the 1 dead-lettered deliveries shown' }).click();
    await page.getByText('1 redriven.').waitFor();
    await waitUntil('no dead letters left', async () => (await api('GET', `/v1/deliveries?endpoint_id=${endpointId}&status=dead_lettered`, tenantA.api_key)).body.data.length === 0, 60_000);

    // The log's filters: delivered switchboard.test events of this tenant, all three.
    await open('/deliveries');
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByLabel('Event type').fill('switchboard.test');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Deliveries: the 3 most recent').waitFor({ timeout: 30_000 });
    expect(page.url()).toContain('status=delivered');
    await shot('07-delivery-log');
    // Phone width: nothing wider than the screen but the scrollable tables.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('08-delivery-log-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("a tenant cannot reach another tenant's data by editing URLs", async () => {
    await open(`/tenants/${tenantB.id}`);
    expect(await alertText()).toMatch(/^Not found/);
    await open(`/tenants/${tenantB.id}/endpoints/${b.endpoint}`);
    expect(await alertText()).toMatch(/^Not found/);
    await open(`/events/${b.event}`);
    expect(await alertText()).toMatch(/^Not found/);
    await open(`/deliveries?tenant_id=${tenantB.id}`);
    await page.getByText('Nothing here yet.').waitFor();
    expect(await page.content()).not.toContain(b.event);
    // And the API under the page, with the session cookie: the same answers.
    const statuses = await page.evaluate(`Promise.all(['/v1/tenants/${tenantB.id}', '/v1/events/${b.event}', '/v1/tenants'].map((u) => fetch(u).then((r) => r.status)))`);
    expect(statuses).toEqual([404, 404, 403]);
    // A change without the CSRF token is refused even with the cookie.
    expect(await page.evaluate(`fetch('/v1/tenants/${tenantA.id}/endpoints', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":"http://127.0.0.1:9/x"}' }).then((r) => r.status)`)).toBe(403);
  });

  it('sign-out ends the session', async () => {
    const before = (await chromium.browser.cookies(stack.api)).find((c) => c.name === 'switchboard_session')!.value;
    await open(`/tenants/${tenantA.id}`);
    await heading('Dental Clinic').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to Switchboard').waitFor();
    await page.getByText('Signed out.').waitFor();
    expect((await chromium.browser.cookies(stack.api)).find((c) => c.name === 'switchboard_session')).toBeUndefined();
    // The old cookie, replayed, opens nothing.
    const replay = await fetch(`${stack.api}/v1/tenants/${tenantA.id}`, { headers: { cookie: `switchboard_session=${before}` } });
    expect(replay.status).toBe(401);
    await open(`/tenants/${tenantA.id}`);
    await heading('Sign in to Switchboard').waitFor();
  });

  it('a partner sees its tenants and views, and opens a portal link that shows only that tenant', async () => {
    await signIn(partner.api_key);
    await heading('Tenants').waitFor();
    expect(await page.locator('main').innerText()).toMatch(/Dental Clinic[\s\S]*Other Clinic|Other Clinic[\s\S]*Dental Clinic/);
    await shot('09-partner-tenants');
    await open('/deliveries');
    await page.getByText(/^Deliveries: the \d+ most recent/).waitFor();
    expect(await page.getByRole('link', { name: 'switchboard.test' }).count()).toBeGreaterThanOrEqual(4); // both tenants' events
    // An older page is a cursor in the URL (here: the API's own, after the newest delivery), and
    // the way back to the newest. Settled first: a delivery still moving would reorder the pages.
    await waitUntil('every delivery settled', async () => {
      const { data } = (await api('GET', '/v1/deliveries?limit=25', partner.api_key)).body as { data: Array<{ status: string }> };
      return data.every((d) => d.status === 'delivered' || d.status === 'dead_lettered');
    }, 60_000);
    const newest = (await api('GET', '/v1/deliveries?limit=1', partner.api_key)).body as { data: Array<{ event_id: string }>; next_after: string };
    const firstPage = (await api('GET', '/v1/deliveries?limit=25', partner.api_key)).body as { data: Array<{ event_id: string }> };
    expect(firstPage.data.length).toBeLessThan(25); // one console page holds them all
    await open(`/deliveries?after=${newest.next_after}`);
    await page.getByText(`Deliveries: ${firstPage.data.length - 1} older`).waitFor();
    const shownEvents = await page.locator('main a[href^="#/events/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(shownEvents).toEqual(firstPage.data.slice(1).map((d) => `#/events/${d.event_id}`));
    await page.getByRole('link', { name: '← Newest' }).click();
    await page.getByText(`Deliveries: the ${firstPage.data.length} most recent`).waitFor();
    // Two events naming both tenants are quarantined; the partner releases one and discards one.
    for (const callId of ['conflict-1', 'conflict-2']) {
      const posted = await postEvent(stack.api, partner.id, partner.inbound_secret, {
        event: 'call.started',
        call_id: callId,
        occurred_at: new Date().toISOString(),
        tenant_id: tenantB.id,
        runtime_vars: { partner_tenant_ref: 'clinic-7' },
        data: {},
      });
      expect(posted.status).toBe(202);
    }
    const openItems = async () => (await api('GET', '/v1/quarantine?status=open', partner.api_key)).body.data as Array<{ id: string; call_id: string }>;
    await waitUntil('both conflicting events quarantined', async () => (await openItems()).length === 2, 60_000);
    await open('/quarantine');
    await heading('Quarantine').waitFor();
    await page.getByRole('row', { name: /conflict-1/ }).waitFor();
    await shot('10-partner-quarantine');
    const first = (await openItems()).find((q) => q.call_id === 'conflict-1')!;
    await page.getByLabel(`Tenant for ${first.id}`).selectOption({ label: 'Dental Clinic' });
    await page.getByRole('row', { name: /conflict-1/ }).getByRole('button', { name: 'Release' }).click();
    await page.getByRole('row', { name: /conflict-1/ }).waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /conflict-2/ }).getByRole('button', { name: 'Discard' }).click();
    await page.getByText('Nothing here yet.').waitFor();
    const all = (await api('GET', '/v1/quarantine', partner.api_key)).body.data as Array<{ call_id: string; status: string; released_tenant_id: string | null }>;
    expect(all.map((q) => [q.call_id, q.status, q.released_tenant_id]).sort()).toEqual([
      ['conflict-1', 'released', tenantA.id],
      ['conflict-2', 'discarded', null],
    ]);
    await open('/incidents');
    await heading('Reconciliation').waitFor();
    await page.getByRole('heading', { name: 'Recent runs' }).waitFor();

    await open(`/tenants/${tenantA.id}`);
    await heading('Dental Clinic').waitFor();
    await page.getByRole('heading', { name: 'Routes' }).waitFor();
    await page.getByRole('button', { name: 'Create portal link' }).click();
    const portalUrl = await page.getByLabel('Portal link URL').inputValue();
    expect(portalUrl).toMatch(new RegExp(`^${stack.api}/console/#portal=pl_`));
    await shot('11-partner-tenant-portal-link');

    // Someone else's browser (no cookies) opens the link: tenant A's console, nothing more.
    await chromium.browser.clearCookies();
    await page.goto(portalUrl);
    // The partner's page showed the same heading: wait for the portal session's header, not the heading.
    await page.locator('header', { hasText: '(portal link)' }).waitFor();
    await heading('Dental Clinic').waitFor();
    expect(page.url()).not.toContain('portal=');
    expect(await page.locator('header').innerText()).toContain(`Tenant ${tenantA.id} (portal link)`);
    expect(await page.getByRole('link', { name: 'Quarantine' }).count()).toBe(0);
    await shot('12-portal-tenant');
    await open(`/tenants/${tenantB.id}`);
    expect(await alertText()).toMatch(/^Not found/);
    expect(await page.evaluate(`Promise.all(['/v1/tenants', '/v1/events/${b.event}'].map((u) => fetch(u).then((r) => r.status)))`)).toEqual([403, 404]);

    // The partner revokes the link: the open console is signed out at its next request.
    const links = await api('GET', `/v1/portal-links?tenant_id=${tenantA.id}`, partner.api_key);
    expect((await api('DELETE', `/v1/portal-links/${links.body.data[0].id}`, partner.api_key)).status).toBe(200);
    await open(`/tenants/${tenantA.id}`);
    await heading('Sign in to Switchboard').waitFor();
    // And the revoked link opens nothing.
    await page.goto(portalUrl);
    await page.getByText(/This portal link cannot be used/).waitFor();
  });

  it("a partner sees why its POSTs were refused: a badly signed event and an unmappable source event, with their reasons", async () => {
    // A source that maps {kind, id, at}; its event without an id verifies but cannot be mapped.
    const source = await api('POST', `/v1/partners/${partner.id}/sources`, partner.api_key, {
      name: 'Dialer',
      verification: { scheme: 'token' },
      mapping: { event: '/kind', call_id: '/id', occurred_at: '/at', event_names: { hangup: 'call.ended' } },
      secret: 'tok_console_dialer_5f0c2e9a7b1d',
    });
    expect(source.status).toBe(201);
    const unmappable = JSON.stringify({ kind: 'hangup', at: new Date().toISOString() });
    const sourceRes = await fetch(`${stack.api}${source.body.ingest_path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok_console_dialer_5f0c2e9a7b1d' },
      body: unmappable,
    });
    expect(sourceRes.status).toBe(422);
    // The default route, signed with a secret that is not the partner's.
    const badlySigned = JSON.stringify({ event: 'call.started', call_id: 'badly-signed-1', occurred_at: new Date().toISOString(), data: {} });
    const wrongSecret = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
    const defaultRes = await fetch(`${stack.api}/v1/webhooks/${partner.id}`, { method: 'POST', headers: partnerHeaders(wrongSecret, badlySigned), body: badlySigned });
    expect(defaultRes.status).toBe(401);
    await waitUntil('the refusal stored', async () => (await api('GET', `/v1/partners/${partner.id}/ingest-refusals`, partner.api_key)).body.data.length > 0, 30_000);

    await chromium.browser.clearCookies(); // whatever the journey before left, start signed out
    await signIn(partner.api_key);
    await heading('Tenants').waitFor();
    await page.getByRole('link', { name: 'Ingest errors' }).click();
    await heading('Ingest errors').waitFor();
    const refused = page.getByRole('row', { name: /signature_mismatch/ });
    await refused.waitFor();
    expect(await refused.innerText()).toMatch(/401 invalid_signature/);
    const receipt = page.getByRole('row', { name: /Dialer/ });
    await receipt.waitFor();
    expect(await receipt.innerText()).toMatch(/rejected[\s\S]*call_id/);
    await shot('13-partner-ingest-errors');

    // Filters, keyboard only: status 422 hides the signature refusal; Enter in a field applies them.
    await page.getByLabel('Status').selectOption('422');
    await page.getByLabel('Reason').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/status=422/);
    await heading('Ingest errors').waitFor();
    await page.getByRole('row', { name: /Dialer/ }).waitFor();
    expect(await page.getByRole('row', { name: /signature_mismatch/ }).count()).toBe(0);
    // At phone width the page is still one column with its tables in scroll boxes.
    await page.setViewportSize({ width: 390, height: 844 });
    await open('/ingest-errors');
    await page.getByRole('row', { name: /signature_mismatch/ }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    expect(foreignRequests).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
