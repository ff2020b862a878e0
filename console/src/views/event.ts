import { api } from '../api';
import { h, link } from '../dom';
import { badge, temporalLink, when } from '../format';
import { href } from '../router';
import type { EventView, Session } from '../types';
import { action, page, poll, table } from './common';

/** An event: its checkpoint timeline and, per delivery, every attempt; refreshed while in flight. */
export async function eventView(session: Session, eventId: string): Promise<HTMLElement> {
  const view = await api<EventView>('GET', `/v1/events/${encodeURIComponent(eventId)}`);
  const body = h('div', {}, render(session, view));
  const root = page(`${view.event_type} · ${view.call_id}`, body);
  // Refreshed while on screen (a redrive or a retry changes it), re-rendered only on change so
  // keyboard focus is not thrown away for nothing.
  let last = JSON.stringify(view);
  poll(root, 1000, async () => {
    const next = await api<EventView>('GET', `/v1/events/${encodeURIComponent(eventId)}`);
    const text = JSON.stringify(next);
    if (text !== last) body.replaceChildren(render(session, next));
    last = text;
    return true;
  });
  return root;
}

function render(session: Session, view: EventView): HTMLElement {
  return h(
    'div',
    {},
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Event'),
      h('dd', {}, h('code', {}, view.id)),
      h('dt', {}, 'Status'),
      h('dd', {}, badge(view.status)),
      h('dt', {}, 'Received'),
      h('dd', {}, when(view.received_at)),
      h('dt', {}, 'Tenant'),
      h('dd', {}, view.tenant_id ? link(href(`/tenants/${view.tenant_id}`), view.tenant_id) : '—'),
      h('dt', {}, 'Workflow'),
      h('dd', {}, h('code', {}, view.workflow_id), ' ', temporalLink(session.temporal_ui_url, view.workflow_id)),
    ),
    h('h2', {}, 'Timeline'),
    h('ol', { class: 'timeline' }, view.checkpoints.map((c) => h('li', {}, h('time', { datetime: c.at }, when(c.at)), ' ', h('strong', {}, c.stage), c.detail ? h('code', { class: 'detail' }, JSON.stringify(c.detail)) : null))),
    h('h2', {}, 'Deliveries'),
    view.deliveries.length ? view.deliveries.map((d) => deliveryCard(session, d)) : h('p', {}, 'No deliveries (yet).'),
    view.delivered_body ? payloadInspector(view.id, view.delivered_body) : null,
  );
}

/**
 * What each attempt sent: the body exactly (the same bytes on every attempt and redrive) and the
 * headers; the timestamp and signatures are made per attempt and not stored, so their rule is shown.
 */
function payloadInspector(eventId: string, body: string): HTMLElement {
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // Shown as sent.
  }
  const header = (name: string, value: string) => [h('dt', {}, h('code', {}, name)), h('dd', {}, h('code', {}, value))];
  return h(
    'section',
    { class: 'card inspector', 'aria-labelledby': 'inspector-title' },
    h('h2', { id: 'inspector-title' }, 'Payload inspector'),
    h('h3', {}, 'Headers sent'),
    h(
      'dl',
      { class: 'facts' },
      header('content-type', 'application/json'),
      header('webhook-id', eventId),
      header('webhook-timestamp', 'the attempt time, Unix seconds (per attempt)'),
      header('webhook-signature', 'v1,base64(HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")), one per active secret'),
      header('x-signature', 'sha256=hex(HMAC-SHA256(newest secret, body))'),
    ),
    h('h3', {}, `Body (${new TextEncoder().encode(body).length} bytes, identical on every attempt)`),
    h('pre', { class: 'payload' }, h('code', {}, pretty)),
  );
}

function deliveryCard(session: Session, d: EventView['deliveries'][number]): HTMLElement {
  const out = h('div', { role: 'status' });
  return h(
    'article',
    { class: 'card delivery', 'aria-label': `Delivery ${d.id}` },
    h('h3', {}, d.endpoint_url, ' ', badge(d.status)),
    h('p', { class: 'muted' }, `Delivery ${d.id} · ${d.attempt_count} attempt(s) `, temporalLink(session.temporal_ui_url, d.workflow_id)),
    d.next_attempt_at ? h('p', { class: 'next-retry' }, 'Next retry at ', h('time', { datetime: d.next_attempt_at }, when(d.next_attempt_at))) : null,
    d.dead_letter_reason ? h('p', { class: 'notice' }, `Dead-lettered: ${d.dead_letter_reason}`) : null,
    table(
      ['#', 'Started', 'Status code', 'Latency', 'Response / error'],
      d.attempts.map((a) => [
        String(a.attempt_number),
        when(a.started_at),
        a.status_code === null ? '—' : String(a.status_code),
        `${a.duration_ms} ms`,
        h('code', { class: 'preview' }, (a.error ?? a.response_body ?? '').slice(0, 300)),
      ]),
      'Attempts',
    ),
    // The payload inspector's other half: what each attempt actually carried (credentials redacted).
    d.attempts.map((a) =>
      a.request_headers
        ? h(
            'details',
            { class: 'headers-sent' },
            h('summary', {}, `Headers sent with attempt ${a.attempt_number}`),
            h('dl', { class: 'facts' }, Object.entries(a.request_headers).map(([name, value]) => [h('dt', {}, h('code', {}, name)), h('dd', {}, h('code', {}, value))])),
          )
        : null,
    ),
    d.status === 'dead_lettered'
      ? action('Redrive', async () => {
          const r = await api<{ redriven: boolean }>('POST', `/v1/deliveries/${d.id}/redrive`);
          out.textContent = r.redriven ? 'Redrive started.' : 'Nothing to redrive.';
        })
      : null,
    out,
  );
}
