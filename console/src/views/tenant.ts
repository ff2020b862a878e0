import { api } from '../api';
import { append, field, h, link } from '../dom';
import { badge, when } from '../format';
import { href } from '../router';
import type { Endpoint, Page, Session, Tenant } from '../types';
import { action, page, submitForm, table } from './common';

export async function eventTypeCatalog(): Promise<string[]> {
  return (await api<{ data: Array<{ type: string }> }>('GET', '/v1/event-types')).data.map((e) => e.type);
}

/** Checkboxes for event types; none ticked means "all types". */
export function eventTypePicker(types: string[], selected: string[] | null): HTMLFieldSetElement {
  return h(
    'fieldset',
    { class: 'types' },
    h('legend', {}, 'Event types (none ticked = all)'),
    types.map((t) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'event_types', value: t, checked: selected?.includes(t) ?? false }), t)),
  );
}

/** A tenant's home: its endpoints and a form to add one; for its partner also routes and portal links. */
export async function tenantView(session: Session, tenantId: string): Promise<HTMLElement> {
  const path = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  const [tenant, endpoints, types] = await Promise.all([api<Tenant>('GET', path), api<Page<Endpoint>>('GET', `${path}/endpoints?limit=100`), eventTypeCatalog()]);
  const rows = endpoints.data.map((e) => [
    link(href(`/tenants/${tenantId}/endpoints/${e.id}`), e.url),
    e.event_types?.join(', ') ?? 'all',
    badge(e.enabled ? 'enabled' : 'disabled'),
    badge(e.circuit_state),
  ]);
  return page(
    tenant.name,
    h('p', { class: 'muted' }, `Tenant ${tenant.id}`),
    h('nav', { class: 'actions', 'aria-label': 'Tenant' }, link(href('/deliveries', { tenant_id: tenantId }), 'Delivery log')),
    h('h2', {}, 'Endpoints'),
    table(['URL', 'Event types', 'State', 'Circuit'], rows),
    addEndpointForm(path, types, tenantId),
    session.principal.kind === 'partner' ? await partnerTenantSections(path, tenantId) : null,
  );
}

function addEndpointForm(path: string, types: string[], tenantId: string): HTMLElement {
  const out = h('div', { role: 'status' });
  const form = submitForm(h('form', { class: 'card', 'aria-labelledby': 'add-endpoint' }), async (data) => {
    const eventTypes = data.getAll('event_types').map(String);
    const body = { url: String(data.get('url')), ...(eventTypes.length ? { event_types: eventTypes } : {}), ...(data.get('description') ? { description: String(data.get('description')) } : {}) };
    const created = await api<Endpoint & { secret: string }>('POST', `${path}/endpoints`, body);
    out.replaceChildren(
      h('p', { class: 'secret' }, 'Endpoint added. Its signing secret, shown only now: ', h('code', {}, created.secret)),
      link(href(`/tenants/${tenantId}/endpoints/${created.id}`), 'Open the endpoint'),
    );
    form.reset();
  });
  append(form, [
    h('h2', { id: 'add-endpoint' }, 'Add an endpoint'),
    field('Endpoint URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/webhooks' })),
    field('Description', h('input', { name: 'description', type: 'text' })),
    eventTypePicker(types, null),
    h('button', { type: 'submit' }, 'Add endpoint'),
    out,
  ]);
  return form;
}

/** What only the tenant's partner sees: its routing keys and portal links. */
async function partnerTenantSections(path: string, tenantId: string): Promise<HTMLElement> {
  const routes = await api<{ data: Array<{ id: string; kind: string; value: string; created_at: string }> }>('GET', `${path}/routes`);
  const linkOut = h('div', { role: 'status' });
  const routeForm = submitForm(h('form', { class: 'inline' }), async (data) => {
    await api('POST', `${path}/routes`, { kind: String(data.get('kind')), value: String(data.get('value')) });
    location.reload();
  });
  routeForm.append(
    field('Kind', h('select', { name: 'kind' }, ['crm_account_id', 'partner_tenant_ref', 'call_id', 'voice_session_id'].map((k) => h('option', { value: k }, k)))),
    field('Value', h('input', { name: 'value', required: true })),
    h('button', { type: 'submit' }, 'Add route'),
  );
  return h(
    'div',
    {},
    h('h2', {}, 'Routes'),
    table(['Kind', 'Value', 'Added'], routes.data.map((r) => [r.kind, h('code', {}, r.value), when(r.created_at)])),
    routeForm,
    h('h2', {}, 'Portal link'),
    h('p', {}, 'A link that opens this console for this tenant only, for 15 minutes, without a key. Revoke it to end its sessions.'),
    action('Create portal link', async () => {
      const created = await api<{ id: string; url: string; expires_at: string }>('POST', '/v1/portal-links', { tenant_id: tenantId });
      linkOut.replaceChildren(
        h('p', {}, 'Portal link (shown once, valid until ', when(created.expires_at), '): '),
        h('input', { type: 'text', readonly: true, value: created.url, 'aria-label': 'Portal link URL', class: 'portal-url' }),
        action('Revoke this link', async () => {
          await api('DELETE', `/v1/portal-links/${created.id}`);
          linkOut.replaceChildren(h('p', {}, 'Revoked.'));
        }),
      );
    }),
    linkOut,
  );
}
