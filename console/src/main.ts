import { api, ApiError, useCsrfToken, whenSignedOut } from './api';
import { h, link, replaceChildren } from './dom';
import { currentLocation, href } from './router';
import type { Session } from './types';
import { errorBox } from './views/common';
import { deliveriesView } from './views/deliveries';
import { endpointView } from './views/endpoint';
import { eventView } from './views/event';
import { incidentsView, partnerHome, quarantineView } from './views/partner';
import { ingestErrorsView } from './views/ingestErrors';
import { signInView } from './views/signIn';
import { tenantView } from './views/tenant';

/**
 * The console: a single page on the public API. Boot order: a portal link's token (in the URL
 * fragment) is exchanged for a session and wiped from the address bar; then "who am I" decides
 * between the sign-in form and the views.
 */
const root = document.getElementById('app')!;
let session: Session | null = null;

async function boot(): Promise<void> {
  const portal = /^#portal=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (portal) {
    history.replaceState(null, '', `${location.pathname}#/`);
    try {
      session = await api<Session>('POST', '/v1/console/sessions', { portal_token: portal[1] });
    } catch (err) {
      return showSignIn(err instanceof ApiError ? `This portal link cannot be used: ${err.body.message}` : undefined);
    }
  } else {
    session = await api<Session>('GET', '/v1/console/session').catch(() => null);
  }
  if (!session || session.principal.kind === 'admin' || !session.csrf_token) return showSignIn();
  signedIn(session);
}

function showSignIn(notice?: string): void {
  session = null;
  useCsrfToken(null);
  replaceChildren(root, h('main', { id: 'main' }, signInView(signedIn, notice)));
}

function signedIn(s: Session): void {
  session = s;
  useCsrfToken(s.csrf_token);
  if (!location.hash.startsWith('#/')) location.hash = '#/';
  void render();
}

function navigation(s: Session): HTMLElement {
  const p = s.principal;
  const links =
    p.kind === 'tenant'
      ? [link(href(`/tenants/${p.tenant_id}`), 'Endpoints'), link(href('/deliveries'), 'Delivery log')]
      : [link(href('/'), 'Tenants'), link(href('/deliveries'), 'Delivery log'), link(href('/quarantine'), 'Quarantine'), link(href('/ingest-errors'), 'Ingest errors'), link(href('/incidents'), 'Reconciliation')];
  const who = p.kind === 'tenant' ? `Tenant ${p.tenant_id}${p.via === 'portal_session' ? ' (portal link)' : ''}` : `Partner ${p.partner_id}`;
  return h(
    'header',
    { class: 'top' },
    h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
    h('strong', { class: 'brand' }, 'Switchboard'),
    h('nav', { 'aria-label': 'Main' }, links),
    h('span', { class: 'who' }, who),
    h('button', { type: 'button', id: 'sign-out', onclick: () => void signOut() }, 'Sign out'),
  );
}

async function signOut(): Promise<void> {
  await api('DELETE', '/v1/console/session').catch(() => undefined);
  location.hash = '#/';
  showSignIn('Signed out.');
}

async function viewFor(s: Session): Promise<HTMLElement> {
  const { parts, params } = currentLocation();
  const [first, second, third, fourth] = parts;
  if (first === 'tenants' && second && third === 'endpoints' && fourth) return endpointView(second, fourth);
  if (first === 'tenants' && second) return tenantView(s, second);
  if (first === 'deliveries') return deliveriesView(s, { parts, params });
  if (first === 'events' && second) return eventView(s, second);
  if (first === 'quarantine') return quarantineView();
  if (first === 'incidents') return incidentsView(s);
  if (first === 'ingest-errors' && s.principal.kind === 'partner') return ingestErrorsView(s, { parts, params });
  if (s.principal.kind === 'tenant') return tenantView(s, s.principal.tenant_id!);
  return partnerHome();
}

async function render(): Promise<void> {
  const s = session;
  if (!s) return;
  const main = h('main', { id: 'main', 'aria-busy': 'true' }, h('p', {}, 'Loading…'));
  replaceChildren(root, navigation(s), main);
  try {
    const view = await viewFor(s);
    if (session !== s) return;
    replaceChildren(main, view);
  } catch (err) {
    replaceChildren(main, err instanceof ApiError && err.status === 404 ? h('p', { class: 'error', role: 'alert' }, `Not found: ${err.body.message}`) : errorBox(err));
  }
  main.removeAttribute('aria-busy');
  main.querySelector<HTMLElement>('h1')?.focus();
}

whenSignedOut(() => showSignIn('Your session has ended. Sign in again.'));
window.addEventListener('hashchange', () => {
  if (/^#portal=/.test(location.hash)) void boot();
  else if (session) void render();
});
void boot();
