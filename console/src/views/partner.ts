import { api } from '../api';
import { append, field, h, link } from '../dom';
import { badge, temporalLink, when } from '../format';
import { href } from '../router';
import type { Page, Session, Tenant } from '../types';
import { action, page, submitForm, table } from './common';

/** A partner's home: its tenants (each opens the tenant view) and a form to add one. */
export async function partnerHome(): Promise<HTMLElement> {
  const tenants = await api<Page<Tenant>>('GET', '/v1/tenants?limit=100');
  const out = h('div', { role: 'status' });
  const form = submitForm(h('form', { class: 'card', 'aria-labelledby': 'add-tenant' }), async (data) => {
    const ref = String(data.get('partner_tenant_ref') ?? '').trim();
    const created = await api<Tenant & { api_key: string }>('POST', '/v1/tenants', { name: String(data.get('name')), ...(ref ? { partner_tenant_ref: ref } : {}) });
    out.replaceChildren(h('p', { class: 'secret' }, `Tenant ${created.name} created. Its API key, shown only now: `, h('code', {}, created.api_key)), link(href(`/tenants/${created.id}`), 'Open it'));
    form.reset();
  });
  append(form, [
    h('h2', { id: 'add-tenant' }, 'Add a tenant'),
    field('Name', h('input', { name: 'name', required: true })),
    field('Your id for it (partner_tenant_ref)', h('input', { name: 'partner_tenant_ref' })),
    h('button', { type: 'submit' }, 'Add tenant'),
    out,
  ]);
  return page('Tenants', table(['Name', 'Tenant id', 'Your ref'], tenants.data.map((t) => [link(href(`/tenants/${t.id}`), t.name), h('code', {}, t.id), t.partner_tenant_ref ?? '—'])), form);
}

interface QuarantineItem {
  id: string;
  event_id: string;
  call_id: string;
  event_type: string;
  reason: string;
  detail: unknown;
  status: string;
  created_at: string;
}

/** Events held back by a routing conflict: release each to one tenant, or discard it. */
export async function quarantineView(): Promise<HTMLElement> {
  const [items, tenants] = await Promise.all([api<{ data: QuarantineItem[] }>('GET', '/v1/quarantine?status=open'), api<Page<Tenant>>('GET', '/v1/tenants?limit=100')]);
  const rows = items.data.map((q) => {
    const select = h('select', { 'aria-label': `Tenant for ${q.id}` }, tenants.data.map((t) => h('option', { value: t.id }, t.name)));
    return [
      when(q.created_at),
      link(href(`/events/${q.event_id}`), q.event_type),
      h('code', {}, q.call_id),
      q.reason,
      h('code', { class: 'detail' }, JSON.stringify(q.detail)),
      h(
        'span',
        { class: 'row-actions' },
        select,
        action('Release', async () => {
          await api('POST', `/v1/quarantine/${q.id}/release`, { tenant_id: select.value });
          location.reload();
        }),
        action('Discard', async () => {
          await api('POST', `/v1/quarantine/${q.id}/discard`);
          location.reload();
        }),
      ),
    ];
  });
  return page('Quarantine', h('p', {}, 'Events whose tenant could not be decided safely. They are never delivered to a guess.'), table(['Held since', 'Event', 'Call id', 'Reason', 'Detail', 'Review'], rows));
}

interface Incident {
  id: string;
  reconciliation_run_id: string | null;
  kind: string;
  severity: string;
  status: string;
  summary?: string;
  created_at: string;
}

/** Reconciliation incidents, each linked to its run (and the run to its workflow). */
export async function incidentsView(session: Session): Promise<HTMLElement> {
  const incidents = await api<{ data: Incident[] }>('GET', '/v1/incidents?limit=100');
  const runs = h('div', {});
  const rows = incidents.data.map((i) => [
    when(i.created_at),
    i.kind,
    badge(i.severity),
    badge(i.status),
    i.reconciliation_run_id
      ? action(`Run ${i.reconciliation_run_id}`, async () => {
          const run = await api<Run>('GET', `/v1/reconciliations/${encodeURIComponent(i.reconciliation_run_id!)}`);
          runs.replaceChildren(
            h('h2', {}, `Reconciliation run ${run.id}`),
            h('p', {}, `${when(run.window_from)} – ${when(run.window_to)}: ${run.terminal_calls} terminal calls, ${run.missing} missing, ${run.replayed} replayed, status `, badge(run.status), ' ', temporalLink(session.temporal_ui_url, run.workflow_id)),
          );
        })
      : '—',
  ]);
  const recent = await api<{ data: Run[] }>('GET', '/v1/reconciliations?limit=20');
  const runRows = recent.data.map((r) => [
    `${when(r.window_from)} – ${when(r.window_to)}`,
    badge(r.status),
    `${r.terminal_calls} terminal, ${r.missing} missing, ${r.replayed} replayed`,
    String(r.incidents.length),
    temporalLink(session.temporal_ui_url, r.workflow_id) ?? '—',
  ]);
  return page(
    'Reconciliation',
    h('h2', {}, 'Incidents'),
    table(['Raised', 'Kind', 'Severity', 'Status', 'Run'], rows),
    runs,
    h('h2', {}, 'Recent runs'),
    table(['Window', 'Status', 'Calls', 'Incidents', 'Workflow'], runRows),
  );
}

interface Run {
  id: string;
  status: string;
  missing: number;
  replayed: number;
  terminal_calls: number;
  incidents: string[];
  workflow_id: string | null;
  window_from: string;
  window_to: string;
}
