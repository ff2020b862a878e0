import { api, query } from '../api';
import { append, field, h, link } from '../dom';
import { localTimeToIso, when } from '../format';
import { go, href, type Location } from '../router';
import type { Page, Session } from '../types';
import { page, submitForm, table } from './common';

const PAGE_SIZE = 25;
const PATH = '/ingest-errors';
const FILTERS = ['status', 'reason', 'since', 'until', 'source_id', 'outcome'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const STATUSES = ['', '400', '401', '413', '415', '422', '429'];
const OUTCOMES = ['', 'rejected', 'ignored'];

interface Refusal {
  id: string;
  received_at: string;
  status: number;
  code: string;
  reason: string;
  message: string;
  source_ip: string | null;
  event_type: string | null;
  call_id: string | null;
  dropped_before: number;
}

interface Source {
  id: string;
  name: string;
}

interface SourceReceipt {
  id: string;
  source_id: string;
  outcome: string;
  reason: string;
  details: Record<string, unknown> | null;
  received_at: string;
  body: string;
}

/**
 * Why a partner's POSTs were refused: the default route's stored refusals (newest first, filtered
 * by the API) and its sources' receipts that were rejected or ignored. Filters and cursors live in
 * the URL, so a view can be shared and the back button works.
 */
export async function ingestErrorsView(session: Session, loc: Location): Promise<HTMLElement> {
  const partnerId = session.principal.partner_id!;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, loc.params.get(k) ?? ''])) as Filters;
  const after = loc.params.get('after') ?? '';
  const sourceAfter = loc.params.get('source_after') ?? '';
  const base = `/v1/partners/${encodeURIComponent(partnerId)}`;
  const apiFilters = { status: filters.status, reason: filters.reason, since: localTimeToIso(filters.since), until: localTimeToIso(filters.until) };
  const [refusals, sources] = await Promise.all([
    api<Page<Refusal>>('GET', `${base}/ingest-refusals${query({ ...apiFilters, limit: PAGE_SIZE, after })}`),
    api<Page<Source>>('GET', `${base}/sources?limit=100`),
  ]);
  const receipts = await sourceReceipts(base, sources.data, filters.source_id, sourceAfter);
  const shown = receipts.data.filter((r) => !filters.outcome || r.outcome === filters.outcome);
  const names = new Map(sources.data.map((s) => [s.id, s.name]));
  const keep = { ...filters } as Record<string, string | undefined>;
  return page(
    'Ingest errors',
    h('p', {}, 'Why your POSTs were refused. The default route keeps a sample (up to 20 at once, then one every 6 s; the rest are counted); a source keeps every request it verified but did not take.'),
    filterForm(filters, sources.data),
    h('h2', { id: 'default-route' }, 'Default route (POST /v1/webhooks/…)'),
    table(['Received', 'Status', 'Reason', 'Message', 'Event', 'From', 'Not stored before'], refusals.data.map(refusalRow), 'Refused POSTs, newest first'),
    pager([after ? link(href(PATH, { ...keep, source_after: sourceAfter || undefined }), '↑ Newest') : null, refusals.next_after ? link(href(PATH, { ...keep, after: refusals.next_after, source_after: sourceAfter || undefined }), 'Older refusals →') : null]),
    h('h2', { id: 'sources' }, 'Sources: rejected and ignored receipts'),
    sources.data.length
      ? table(['Received', 'Source', 'Outcome', 'Reason', 'Details', 'Body (start)'], shown.map((r) => receiptRow(r, names)), 'Receipts, oldest first per source')
      : h('p', {}, 'No sources.'),
    pager([
      sourceAfter ? link(href(PATH, { ...keep, after: after || undefined }), '↑ First receipts') : null,
      receipts.next_after ? link(href(PATH, { ...keep, after: after || undefined, source_after: receipts.next_after }), 'More receipts →') : null,
    ]),
  );
}

/** One source: its receipts paged by cursor. All sources: the first page of each, newest first. */
async function sourceReceipts(base: string, sources: Source[], sourceId: string, after: string): Promise<Page<SourceReceipt>> {
  const url = (id: string, cursor?: string) => `${base}/sources/${encodeURIComponent(id)}/receipts${query({ limit: PAGE_SIZE, after: cursor })}`;
  if (sourceId) return api<Page<SourceReceipt>>('GET', url(sourceId, after || undefined));
  const pages = await Promise.all(sources.map((s) => api<Page<SourceReceipt>>('GET', url(s.id))));
  const data = pages.flatMap((p) => p.data).sort((a, b) => b.received_at.localeCompare(a.received_at));
  return { data, next_after: null };
}

function refusalRow(r: Refusal): Array<HTMLElement | string> {
  return [
    when(r.received_at),
    h('span', { class: 'badge badge-failed' }, `${r.status} ${r.code}`),
    h('code', {}, r.reason),
    r.message,
    r.event_type || r.call_id ? h('span', {}, r.event_type ?? '', ' ', r.call_id ? h('code', {}, r.call_id) : null) : '—',
    r.source_ip ?? '—',
    r.dropped_before ? String(r.dropped_before) : '—',
  ];
}

function receiptRow(r: SourceReceipt, names: Map<string, string>): Array<HTMLElement | string> {
  return [
    when(r.received_at),
    names.get(r.source_id) ?? r.source_id,
    h('span', { class: `badge badge-${r.outcome === 'rejected' ? 'failed' : 'pending'}` }, r.outcome),
    h('code', {}, r.reason),
    r.details ? h('code', { class: 'detail' }, JSON.stringify(r.details)) : '—',
    h('code', { class: 'detail' }, r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body),
  ];
}

function pager(links: Array<HTMLElement | null>): HTMLElement {
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, links);
}

function filterForm(filters: Filters, sources: Source[]): HTMLElement {
  const form = submitForm(h('form', { class: 'filters', 'aria-label': 'Filters' }), async (data) => {
    const next: Record<string, string | undefined> = {};
    for (const k of FILTERS) next[k] = String(data.get(k) ?? '').trim() || undefined;
    go(PATH, next);
  });
  const select = (name: keyof Filters, options: Array<[string, string]>) =>
    h('select', { name }, options.map(([value, label]) => h('option', { value, selected: value === filters[name] }, label)));
  append(form, [
    field('Status', select('status', STATUSES.map((s) => [s, s || 'any']))),
    field('Reason', h('input', { name: 'reason', value: filters.reason, placeholder: 'signature_mismatch' })),
    field('Received since', h('input', { name: 'since', type: 'datetime-local', value: filters.since })),
    field('Received before', h('input', { name: 'until', type: 'datetime-local', value: filters.until })),
    field('Source', select('source_id', [['', 'all sources'], ...sources.map((s): [string, string] => [s.id, s.name])])),
    field('Receipt outcome', select('outcome', OUTCOMES.map((o) => [o, o || 'any']))),
    h('button', { type: 'submit' }, 'Apply filters'),
  ]);
  return form;
}
