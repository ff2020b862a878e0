import type { StatsBucket } from './types';

/**
 * Two small bar charts drawn as SVG from the hourly buckets (no charting library: 24 bars need
 * none, and SVG built through the DOM passes the strict CSP). Each chart carries a text summary
 * (role="img" + aria-label) so the numbers are not only pixels.
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 480;
const H = 120;

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function barChart(values: Array<number | null>, max: number, label: string, barClass: (i: number) => string, titles: string[]): SVGSVGElement {
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' });
  const bw = W / Math.max(values.length, 1);
  values.forEach((v, i) => {
    const height = v === null || max === 0 ? 0 : Math.max(1, (v / max) * (H - 14));
    const rect = svgEl('rect', { x: i * bw + 1, y: H - height, width: Math.max(bw - 2, 1), height, class: barClass(i) });
    const title = svgEl('title', {});
    title.textContent = titles[i] ?? '';
    rect.appendChild(title);
    svg.appendChild(rect);
  });
  svg.appendChild(svgEl('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'axis' }));
  return svg;
}

export function successRateChart(buckets: StatsBucket[]): SVGSVGElement {
  const rates = buckets.map((b) => (b.attempts ? b.succeeded / b.attempts : null));
  const hour = (b: StatsBucket) => new Date(b.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const titles = buckets.map((b, i) => `${hour(b)}: ${b.succeeded}/${b.attempts} succeeded${rates[i] === null ? '' : ` (${Math.round(rates[i]! * 100)} %)`}`);
  const summary = `Success rate per hour, last ${buckets.length} h: ` + titles.filter((_, i) => buckets[i]!.attempts > 0).join('; ');
  return barChart(rates, 1, summary || 'No attempts in the window', (i) => (rates[i] === null ? 'bar-empty' : rates[i]! >= 0.99 ? 'bar-ok' : rates[i]! >= 0.5 ? 'bar-warn' : 'bar-bad'), titles);
}

export function latencyChart(buckets: StatsBucket[]): SVGSVGElement {
  const p95 = buckets.map((b) => b.p95_ms);
  const max = Math.max(1, ...p95.map((v) => v ?? 0));
  const titles = buckets.map((b) => `${new Date(b.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}: p50 ${b.p50_ms ?? '—'} ms, p95 ${b.p95_ms ?? '—'} ms`);
  return barChart(p95, max, `p95 latency per hour (max ${max} ms): ` + titles.filter((_, i) => buckets[i]!.attempts > 0).join('; '), () => 'bar-latency', titles);
}
