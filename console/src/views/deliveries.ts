import { api, query } from '../api';
import { append, field, h, link } from '../dom';
import { badge, localTimeToIso, temporalLink, when } from '../format';
import { go, href, type Location } from '../router';
import type { Delivery, Session } from '../types';
import { action, page, submitForm, table } from './common';

const PAGE_SIZE = 25;
const FILTERS = ['status', 'event_type', 'call_id', 'tenant_id', 'endpoint_id', 'since', 'until'] as const;
const STATUSES = ['', 'pending', 'delivering', 'waiting_circuit', 'delivered', 'dead_lettered'];

/**
 * The delivery log: filters in the URL (so a filtered view can be shared), newest activity first,
 * paged by the API's cursor (also in the URL, so the browser's Back button returns to newer pages).
 */
export async function deliveriesView(session: Session, loc: Location): Promise<HTMLElement> {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, loc.params.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const after = loc.params.get('after') || undefined;
  const apiFilters = { ...filters, since: localTimeToIso(filters.since), until: localTimeToIso(filters.until) };
  const list = await api<{ data: Delivery[]; next_after: string | null }>('GET', `/v1/deliveries${query({ ...apiFilters, limit: PAGE_SIZE, after })}`);
  const dead = list.data.filter((d) => d.status === 'dead_lettered');
  const out = h('div', { role: 'status' });
  const rows = list.data.map((d) => [
    when(d.updated_at),
    link(href(`/events/${d.event_id}`), d.event_type),
    h('code', {}, d.call_id),
    badge(d.status),
    String(d.attempt_count),
    d.last_status_code === null ? '—' : String(d.last_status_code),
    h('span', {}, d.dead_letter_reason ?? d.last_error ?? '', ' ', temporalLink(session.temporal_ui_url, d.workflow_id)),
  ]);
  const params = (cursor: string | undefined) => ({ ...filters, after: cursor });
  return page(
    'Delivery log',
    filterForm(filters, session),
    table(['Updated', 'Event', 'Call id', 'Status', 'Attempts', 'Last code', 'Why'], rows, after ? `Deliveries: ${list.data.length} older` : `Deliveries: the ${list.data.length} most recent`),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      after ? link(href('/deliveries', params(undefined)), '← Newest') : null,
      list.next_after ? link(href('/deliveries', params(list.next_after)), 'Older →') : null,
    ),
    dead.length
      ? action(`Redrive the ${dead.length} dead-lettered deliveries shown`, async () => {
          const results = await Promise.all(dead.map((d) => api<{ redriven: boolean }>('POST', `/v1/deliveries/${d.id}/redrive`)));
          out.textContent = `${results.filter((r) => r.redriven).length} redriven.`;
        })
      : null,
    out,
  );
}

function filterForm(filters: Record<string, string>, session: Session): HTMLElement {
  const form = submitForm(h('form', { class: 'filters', 'aria-label': 'Filters' }), async (data) => {
    const next: Record<string, string | undefined> = {};
    for (const k of FILTERS) next[k] = String(data.get(k) ?? '').trim() || undefined;
    go('/deliveries', next);
  });
  const input = (name: string, type = 'text') => h('input', { name, type, value: filters[name] ?? '' });
  append(form, [
    field('Status', h('select', { name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === filters['status'] }, s || 'any')))),
    field('Event type', input('event_type')),
    field('Call id', input('call_id')),
    session.principal.kind === 'partner' ? field('Tenant id', input('tenant_id')) : null,
    field('Endpoint id', input('endpoint_id')),
    field('Updated since', input('since', 'datetime-local')),
    field('Updated before', input('until', 'datetime-local')),
    h('button', { type: 'submit' }, 'Apply filters'),
  ]);
  return form;
}
