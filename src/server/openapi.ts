import { z } from 'zod';
import { errorBody } from './errorMiddleware';

/**
 * The OpenAPI 3.1 document, assembled from the route declarations (src/server/route.ts and the
 * ingest route) and their zod schemas via zod's own JSON Schema output (2020-12, which is
 * OpenAPI 3.1's dialect). There is no hand-written copy to drift.
 */
interface OperationSpec {
  method: string;
  path: string;
  summary: string;
  tag: string;
  auth: string;
  body?: z.ZodType;
  query?: z.ZodType;
  bodyContentType?: string;
  extraHeaders?: Array<{ name: string; description: string; required?: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

const operations: OperationSpec[] = [];

export function registerOperation(spec: OperationSpec): void {
  if (!operations.some((o) => o.method === spec.method && o.path === spec.path)) operations.push(spec);
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
void errorBody; // ErrorSchema describes errorBody()'s shape

/**
 * zod emits named schemas (`.meta({ id })`) as `$defs` with `#/$defs/Name` refs, which inside an
 * OpenAPI document would resolve against the document root and dangle. Hoist them into
 * `components.schemas` and point the refs there. An input-side schema that differs from its
 * output-side namesake (defaults, transforms) is kept apart as `Name_input`.
 */
function hoistDefs(node: unknown, components: Record<string, unknown>, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => hoistDefs(n, components, io));
  if (!node || typeof node !== 'object') return node;
  const obj = { ...(node as Record<string, unknown>) };
  const defs = obj['$defs'] as Record<string, unknown> | undefined;
  delete obj['$defs'];
  const rename = new Map<string, string>();
  for (const [name, def] of Object.entries(defs ?? {})) {
    const body = hoistDefs(def, components, io);
    const existing = components[name];
    const target = existing === undefined || JSON.stringify(existing) === JSON.stringify(body) ? name : `${name}_${io}`;
    components[target] = body;
    rename.set(name, target);
  }
  const rewrite = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(rewrite);
    if (!n || typeof n !== 'object') return n;
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const name = v.slice('#/$defs/'.length);
        o[k] = `#/components/schemas/${rename.get(name) ?? name}`;
      } else o[k] = rewrite(v);
    }
    return o;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = k === '$ref' ? v : hoistDefs(v, components, io);
  return rewrite(out);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out['$schema'];
  return hoistDefs(out, components, io) as Record<string, unknown>;
}

function toOpenApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const p = path.replace(/:([A-Za-z_]+)/g, (_, name: string) => `{${name}}`);
  // Operations registered by hand may already use the `{name}` form: collect params from the result.
  for (const m of p.matchAll(/\{([A-Za-z_]+)\}/g)) params.push(m[1]!);
  return { path: p, params };
}

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const op of operations) {
    const { path, params } = toOpenApiPath(op.path);
    const parameters: unknown[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (op.query) {
      const qs = jsonSchema(op.query, 'input', schemas) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(qs.properties ?? {})) {
        parameters.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema });
      }
    }
    for (const h of op.extraHeaders ?? []) {
      parameters.push({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema, 'output', schemas) } } }
        : { description: r.description };
    }
    responses['default'] = {
      description: 'Error',
      content: { 'application/json': { schema: jsonSchema(ErrorSchema, 'output', schemas) } },
    };
    const operation: Record<string, unknown> = {
      summary: op.summary,
      tags: [op.tag],
      operationId: `${op.method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      parameters,
      responses,
    };
    if (op.auth === 'none') operation['security'] = [];
    if (op.auth === 'signature') operation['security'] = [];
    if (op.body) {
      operation['requestBody'] = {
        required: true,
        content: { [op.bodyContentType ?? 'application/json']: { schema: jsonSchema(op.body, 'input', schemas) } },
      };
    }
    paths[path] ??= {};
    paths[path]![op.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard',
      version,
      description: 'Durable, tenant-aware webhook ingest and delivery. Authenticate with `Authorization: Bearer <api key>`.',
    },
    servers: [{ url: '/' }],
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
