import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP JSON carries it (ids in hex). */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

export interface OtlpCollector {
  /** The base URL: what OTEL_EXPORTER_OTLP_ENDPOINT is set to (spans arrive at /v1/traces). */
  url: string;
  spans: CollectedSpan[];
  close(): Promise<void>;
}

interface OtlpJsonAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpJsonRequest {
  resourceSpans?: Array<{
    scopeSpans?: Array<{ spans?: Array<Omit<CollectedSpan, 'attributes'> & { attributes?: OtlpJsonAttribute[] }> }>;
  }>;
}

/** A tiny in-process OTLP/HTTP (JSON) trace collector on loopback. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') spans.push(...decode(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJsonRequest));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decode(body: OtlpJsonRequest): CollectedSpan[] {
  return (body.resourceSpans ?? []).flatMap((r) =>
    (r.scopeSpans ?? []).flatMap((s) =>
      (s.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
      })),
    ),
  );
}
