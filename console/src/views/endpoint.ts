import { api } from '../api';
import { successRateChart, latencyChart } from '../charts';
import { append, field, h, link } from '../dom';
import { badge, percent, when } from '../format';
import { href } from '../router';
import type { Endpoint, EndpointStats, EventView } from '../types';
import { action, page, poll, submitForm } from './common';
import { eventTypeCatalog, eventTypePicker } from './tenant';

/** One endpoint: settings, secret rotation, a test event watched until it lands, 24 h health. */
export async function endpointView(tenantId: string, endpointId: string): Promise<HTMLElement> {
  const path = `/v1/tenants/${encodeURIComponent(tenantId)}/endpoints/${encodeURIComponent(endpointId)}`;
  const [endpoint, types, stats] = await Promise.all([api<Endpoint>('GET', path), eventTypeCatalog(), api<EndpointStats>('GET', `${path}/stats?hours=24`)]);
  return page(
    endpoint.url,
    h('p', { class: 'muted' }, `Endpoint ${endpoint.id} · `, badge(endpoint.enabled ? 'enabled' : 'disabled'), ' · circuit ', badge(endpoint.circuit_state)),
    endpoint.disabled_reason ? h('p', { class: 'notice' }, `Disabled: ${endpoint.disabled_reason}`) : null,
    h(
      'nav',
      { class: 'actions', 'aria-label': 'Endpoint' },
      link(href('/deliveries', { tenant_id: tenantId, endpoint_id: endpointId }), 'Deliveries to this endpoint'),
      link(href(`/tenants/${tenantId}`), 'Back to the tenant'),
    ),
    testSection(path, endpoint),
    healthSection(stats),
    settingsForm(path, endpoint, types),
    rotateSection(path),
  );
}

function testSection(path: string, endpoint: Endpoint): HTMLElement {
  const out = h('div', { role: 'status', 'aria-live': 'polite', class: 'test-result' });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'test-title' },
    h('h2', { id: 'test-title' }, 'Send a test event'),
    h('p', {}, 'Delivers a signed switchboard.test event to this endpoint through the normal delivery path.'),
    action(
      'Send test event',
      async () => {
        const sent = await api<{ event_id: string; delivery_id: string }>('POST', `${path}/test`);
        const status = h('span', {}, badge('delivering'));
        out.replaceChildren(h('p', {}, 'Test event ', link(href(`/events/${sent.event_id}`), sent.event_id), ': ', status));
        poll(out, 1000, async () => {
          const view = await api<EventView>('GET', `/v1/events/${sent.event_id}`);
          const d = view.deliveries[0];
          status.replaceChildren(badge(d?.status ?? view.status), d?.last_status_code ? ` (HTTP ${d.last_status_code})` : '');
          return d?.status !== 'delivered' && d?.status !== 'dead_lettered';
        });
      },
      endpoint.enabled ? {} : { disabled: 'disabled' },
    ),
    out,
  );
}

function healthSection(stats: EndpointStats): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'health-title' },
    h('h2', { id: 'health-title' }, 'Last 24 hours'),
    h('p', { class: 'stats-summary' }, `${stats.attempts} attempts, ${stats.succeeded} succeeded, success rate ${percent(stats.success_rate)}`),
    h('div', { class: 'charts' }, h('figure', {}, successRateChart(stats.buckets), h('figcaption', {}, 'Success rate per hour')), h('figure', {}, latencyChart(stats.buckets), h('figcaption', {}, 'p95 latency per hour'))),
  );
}

function settingsForm(path: string, endpoint: Endpoint, types: string[]): HTMLElement {
  const saved = h('p', { role: 'status' });
  const form = submitForm(h('form', { class: 'card', 'aria-labelledby': 'settings-title' }), async (data) => {
    const eventTypes = data.getAll('event_types').map(String);
    const updated = await api<Endpoint>('PATCH', path, { url: String(data.get('url')), event_types: eventTypes.length ? eventTypes : null, enabled: data.get('enabled') === 'on' });
    saved.textContent = `Saved at ${when(new Date().toISOString())}: ${updated.enabled ? 'enabled' : 'disabled'}, ${updated.event_types?.join(', ') ?? 'all event types'}.`;
  });
  append(form, [
    h('h2', { id: 'settings-title' }, 'Settings'),
    field('URL', h('input', { name: 'url', type: 'url', required: true, value: endpoint.url })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: endpoint.enabled }), 'Enabled'),
    eventTypePicker(types, endpoint.event_types),
    h('button', { type: 'submit' }, 'Save settings'),
    saved,
  ]);
  return form;
}

function rotateSection(path: string): HTMLElement {
  const out = h('div', { role: 'status' });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'rotate-title' },
    h('h2', { id: 'rotate-title' }, 'Signing secret'),
    h('p', {}, 'Rotating issues a new secret; for the grace period deliveries carry signatures with both, so receivers can switch without losing any.'),
    action('Rotate secret', async () => {
      const r = await api<{ secret: string; previous_secret_expires_at: string }>('POST', `${path}/rotate-secret`, {});
      out.replaceChildren(
        h('p', { class: 'secret' }, 'New secret, shown only now: ', h('code', {}, r.secret)),
        h('p', {}, 'The previous secret keeps signing until ', h('strong', {}, when(r.previous_secret_expires_at)), ' (grace period).'),
      );
    }),
    out,
  );
}
