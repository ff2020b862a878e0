import { api } from '../api';
import { append, field, h } from '../dom';
import type { Session } from '../types';
import { submitForm } from './common';

/**
 * Sign-in: the key is posted once and forgotten; the server answers with an HttpOnly cookie the
 * page cannot read. A password field, so the browser neither shows nor autocompletes it.
 */
export function signInView(onSignedIn: (s: Session) => void, notice?: string): HTMLElement {
  const key = h('input', { name: 'api_key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'sk_partner_… or sk_tenant_…' });
  const form = submitForm(h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' }), async (data) => {
    const session = await api<Session>('POST', '/v1/console/sessions', { api_key: String(data.get('api_key') ?? '').trim() });
    key.value = '';
    onSignedIn(session);
  });
  append(form, [
    h('h1', { id: 'signin-title' }, 'Sign in to Switchboard'),
    h('p', {}, 'Use a partner or tenant API key. It is exchanged once for a one-hour session; the console never stores it.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    field('API key', key),
    h('button', { type: 'submit' }, 'Sign in'),
  ]);
  return form;
}
