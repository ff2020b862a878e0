import { ErrorSchema } from './errorBody';
import type { OperationSpec } from './operationSpec';
import { jsonSchema } from './openapiSchemas';
import { standardErrorResponses } from './openapiErrors';

/**
 * The OpenAPI 3.1 document, assembled from the route declarations (src/server/route.ts and the
 * hand-registered ingest, health and meta routes) and their zod schemas. There is no hand-written
 * copy to drift: the same list also answers which methods a path allows (405 + Allow).
 */
const operations: OperationSpec[] = [];

export function registerOperation(spec: OperationSpec): void {
  if (!operations.some((o) => o.method === spec.method && o.path === spec.path)) operations.push(spec);
}

/** Every documented (method, OpenAPI path) pair. */
export function documentedOperations(): ReadonlyArray<{ method: string; path: string }> {
  return operations.map((o) => ({ method: o.method, path: toOpenApiPath(o.path) }));
}

export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => `{${name}}`);
}

const RULES = [
  'Durable, tenant-aware webhook ingest and delivery. Authenticate with `Authorization: Bearer <api key>`',
  '(ingest instead carries the partner signature).',
  '',
  '- Every error is `{"error": {"code", "message", "details"}}`; `details` is always present (null when there is nothing to add).',
  '- Request bodies are `application/json` in UTF-8 (else 415), strict (unknown fields: 422), without repeated object keys (422).',
  '- Strings never contain NUL (U+0000): Postgres cannot store it (422).',
  '- Ids are their prefix and URL-safe characters; a path id that does not match cannot name anything (404).',
  '- A method a path does not document answers 405 with an `Allow` header.',
].join('\n');

function operationObject(op: OperationSpec, schemas: Record<string, unknown>): Record<string, unknown> {
  const path = toOpenApiPath(op.path);
  const parameters: unknown[] = [];
  const pathSchema = op.params ? (jsonSchema(op.params, 'input', schemas) as { properties?: Record<string, unknown> }) : {};
  for (const m of path.matchAll(/\{([A-Za-z_]+)\}/g)) {
    parameters.push({ name: m[1], in: 'path', required: true, schema: pathSchema.properties?.[m[1]!] ?? { type: 'string' } });
  }
  if (op.query) {
    const qs = jsonSchema(op.query, 'input', schemas) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(qs.properties ?? {})) {
      // A deprecated parameter says so where generators and readers look: on the parameter.
      const deprecated = (schema as { deprecated?: boolean }).deprecated === true ? { deprecated: true } : {};
      parameters.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, ...deprecated, schema });
    }
  }
  for (const h of op.extraHeaders ?? []) {
    parameters.push({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } });
  }

  const errorContent = { 'application/json': { schema: jsonSchema(ErrorSchema, 'output', schemas) } };
  const responses: Record<string, Record<string, unknown>> = {};
  for (const [status, description] of Object.entries(standardErrorResponses(op))) {
    responses[status] = { description, content: errorContent };
  }
  for (const [status, r] of Object.entries(op.responses)) {
    const isError = Number(status) >= 400;
    const content = r.schema
      ? { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, 'output', schemas) } }
      : isError
        ? errorContent
        : r.contentType
          ? { [r.contentType]: { schema: { type: 'string' } } }
          : undefined;
    responses[status] = { description: r.description, ...(content ? { content } : {}) };
  }
  for (const status of ['429', '503']) {
    if (responses[status]) {
      responses[status]!['headers'] = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } };
    }
  }

  const operation: Record<string, unknown> = {
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    operationId: `${op.method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
    parameters,
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
  };
  if (op.auth === 'none' || op.auth === 'signature') operation['security'] = [];
  if (op.body) {
    operation['requestBody'] = {
      // A body whose every field is optional may be left out entirely (e.g. rotate-secret).
      required: !op.body.safeParse({}).success,
      content: { 'application/json': { schema: jsonSchema(op.body, 'input', schemas) } },
    };
  }
  return operation;
}

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  for (const op of operations) {
    const path = toOpenApiPath(op.path);
    paths[path] ??= {};
    paths[path]![op.method] = operationObject(op, schemas);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard', version, description: RULES },
    servers: [{ url: '/' }],
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
