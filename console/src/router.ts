/**
 * Hash routes (`#/tenants/ten_…/endpoints/ep_…?status=…`): the server serves one page, the path
 * after `#` picks the view. Editing it can name anything; what is shown is what the API answers
 * for this session's scope (another tenant's id is a 404 like a missing one).
 */
export interface Location {
  parts: string[];
  params: URLSearchParams;
}

export function currentLocation(): Location {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = raw.split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function go(path: string, params?: Record<string, string | undefined>): void {
  location.hash = href(path, params).slice(1);
}
