import { h } from './dom';

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A status as a badge whose text is the status itself (colour is never the only signal). */
export function badge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.replace(/[^a-z_]/g, '')}` }, status);
}

export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)} %`;
}

/** Temporal Web UI link for a workflow, when the server said where the UI is. */
export function temporalLink(uiUrl: string | null | undefined, workflowId: string | null): HTMLElement | null {
  if (!uiUrl || !workflowId) return null;
  return h('a', { href: `${uiUrl.replace(/\/+$/, '')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, target: '_blank', rel: 'noopener noreferrer', class: 'temporal' }, 'Temporal UI ↗');
}

/** A datetime-local input's value (which has no zone) read as the browser's local time, as ISO 8601; '' when empty or invalid. */
export function localTimeToIso(local: string): string {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
