import { apiAs, tenancyRowCounts, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * Every id a request carries (path parameter, query filter, body reference) is validated by its
 * schema before any query runs: a NUL byte (which Postgres text cannot hold), a wrong prefix or
 * 5,000 characters is a 4xx in the error shape, never a 500. The sweep is driven by /openapi.json,
 * so a route added later is covered without being listed here.
 */
type Operation = { parameters: Array<{ name: string; in: string; schema: { pattern?: string } }>; requestBody?: unknown };
type Doc = { paths: Record<string, Record<string, Operation>> };

const BAD_IDS = ['%00', 'ptn_a%00b', 'x'.repeat(5000), 'has%20space'];
/**
 * One of our prefixed ids' patterns (src/idSchemas.ts), not any patterned text: a partner's own
 * `call_id` filter is free text (NUL refused), where `has space` is a fine value.
 */
const isResourceIdPattern = (pattern?: string) => pattern !== undefined && /^\^[a-z]+_\[A-Za-z0-9_-\]\{1,60\}\$$/.test(pattern);

describe('ids in paths, queries and bodies are validated at the schema', () => {
  let stack: TestStack;
  let admin: Caller;
  let doc: Doc;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    admin = apiAs(stack, stack.adminKey);
    doc = (await admin.get('/openapi.json')).body as Doc;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A well-formed id for the parameter (its pattern's prefix), for the parameters not under test. */
  const plausible = (op: Operation, name: string) => {
    const prefix = /^\^([a-z]+_)/.exec(op.parameters.find((p) => p.name === name)?.schema.pattern ?? '')?.[1] ?? 'rec_';
    return `${prefix}doesnotexist`;
  };

  it('every path parameter of every operation: an id that cannot name anything -> 404 in the shape', async () => {
    const before = await tenancyRowCounts(stack);
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const pathParams = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        for (const target of pathParams) {
          for (const bad of BAD_IDS) {
            const path = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => (name === target ? bad : plausible(op, name)));
            const res = await admin.raw(method.toUpperCase(), path, method === 'get' || method === 'delete' ? undefined : '{}');
            expect({ route: `${method} ${template}`, target, bad: bad.slice(0, 20), status: res.status }).toEqual({
              route: `${method} ${template}`,
              target,
              bad: bad.slice(0, 20),
              status: 404,
            });
            expect(res.body.error.code).toBe('not_found');
            expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(await tenancyRowCounts(stack)).toEqual(before);
  });

  it('every id-shaped query parameter: a bad id -> 422 naming it', async () => {
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      const op = ops['get'];
      if (!op) continue;
      for (const param of op.parameters.filter((p) => p.in === 'query' && isResourceIdPattern(p.schema.pattern))) {
        const path = template.replace(/\{([a-z_]+)\}/g, (_, name: string) => plausible(op, name));
        for (const bad of BAD_IDS) {
          const res = await admin.get(`${path}?${param.name}=${bad}`);
          expect({ template, param: param.name, status: res.status }).toEqual({ template, param: param.name, status: 422 });
          expect(res.body.error.details).toEqual([expect.objectContaining({ field: param.name })]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(7 * BAD_IDS.length);
  });

  it('the requests the fuzzer sent: 404 / 422, never 500', async () => {
    expect((await admin.get('/v1/events/%00')).status).toBe(404);
    expect((await admin.get('/v1/reconciliations/%00')).status).toBe(404);
    expect((await admin.get('/v1/deliveries?tenant_id=%00')).status).toBe(422);
    expect((await admin.get('/v1/deliveries?endpoint_id=%00')).status).toBe(422);
    expect((await admin.get('/v1/incidents?partner_id=%00')).status).toBe(422);
  });

  it('id references in bodies: 422 naming the field', async () => {
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
      ['POST', '/v1/deliveries/redrive', { tenant_id: 'ten_\u0000' }, 'tenant_id'],
      ['POST', '/v1/deliveries/redrive', { endpoint_id: 'ten_wrongkind' }, 'endpoint_id'],
      ['POST', '/v1/reconciliations', { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', partner_id: '\u0000' }, 'partner_id'],
      ['POST', '/v1/tenants', { name: 'T', partner_id: 'x'.repeat(5000) }, 'partner_id'],
      ['POST', '/v1/api-keys', { scope: 'tenant', tenant_id: 'ten_a b' }, 'tenant_id'],
      ['POST', '/v1/quarantine/qtn_doesnotexist/release', { tenant_id: '\u0000' }, 'tenant_id'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await admin.raw(method, path, JSON.stringify(body));
      expect({ path, field, status: res.status }).toEqual({ path, field, status: 422 });
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
  });

  it('since: an ISO 8601 date-time, with a message that says so', async () => {
    const res = await admin.get('/v1/deliveries?since=yesterday');
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([{ field: 'since', message: expect.stringContaining('ISO 8601') }]);
    expect((await admin.get('/v1/deliveries?since=2026-11-23T10:00:00Z')).status).toBe(200);
  });
});
