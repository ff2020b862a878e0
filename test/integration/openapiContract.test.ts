import { OPERATIONAL_EVENT_TYPE_NAMES } from '../../src/operational/catalogue';
import { apiAs, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * /openapi.json says what the server enforces: which bodies may be omitted, the catalog as an
 * enum, URL and date-time formats, the NUL rule and the cross-field rules, and every error status
 * an operation can answer, each in the error shape. Where it can be checked against the running
 * server (optional bodies, required bodies), it is.
 */
type Schema = Record<string, any>;
type Operation = {
  parameters: Array<{ name: string; in: string; schema: Schema }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
  description?: string;
};
type Doc = { info: { description: string }; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

describe('the OpenAPI document matches what the server enforces', () => {
  let stack: TestStack;
  let admin: Caller;
  let doc: Doc;
  const ids = {} as { partner: string; tenant: string; endpoint: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    admin = apiAs(stack, stack.adminKey);
    doc = (await admin.get('/openapi.json')).body as Doc;
    ids.partner = (await admin.post('/v1/partners', { name: 'P' })).body.id;
    ids.tenant = (await admin.post('/v1/tenants', { name: 'T', partner_id: ids.partner })).body.id;
    ids.endpoint = (await admin.post(`/v1/tenants/${ids.tenant}/endpoints`, { url: 'http://127.0.0.1:9/hook' })).body.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const resolve = (s: Schema): Schema => (s['$ref'] ? doc.components.schemas[String(s['$ref']).split('/').pop()!]! : s);
  const bodySchema = (path: string, method: string) => resolve(doc.paths[path]![method]!.requestBody!.content['application/json']!.schema);
  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
  /** Real ids where they exist, else a well-formed id of the parameter's kind that names nothing. */
  const concrete = (template: string, op: Operation) =>
    template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
      const known = { partner_id: ids.partner, tenant_id: ids.tenant, endpoint_id: ids.endpoint }[name];
      const prefix = /^\^([a-z]+_)/.exec(op.parameters.find((p) => p.name === name)?.schema['pattern'] ?? '')?.[1] ?? 'rec_';
      return known ?? `${prefix}doesnotexist`;
    });

  it('a body whose fields are all optional is optional in the document, and the server takes a request without one', async () => {
    const optional = operations().filter(({ op }) => op.requestBody && !op.requestBody.required);
    expect(optional.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'patch /v1/partners/{partner_id}/sources/{source_id}',
      'post /v1/deliveries/redrive',
      'post /v1/incidents/{id}/resolve',
      'post /v1/partners/{partner_id}/rotate-secret',
      'post /v1/partners/{partner_id}/sources/{source_id}/rotate-secret',
      'post /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret',
    ]);
    for (const { method, path, op } of optional) {
      const res = await admin.raw(method.toUpperCase(), concrete(path, op));
      // 404 for the made-up incident; never a complaint about the body.
      expect({ path, status: res.status }).toEqual({ path, status: path.includes('incidents') ? 404 : expect.any(Number) });
      expect([400, 413, 415, 422]).not.toContain(res.status);
    }
  });

  it('a required body is required in the document, and leaving it out is a 422 naming a field', async () => {
    const required = operations().filter(({ op }) => op.requestBody?.required && op.security?.length !== 0);
    expect(required.length).toBeGreaterThan(8);
    for (const { method, path, op } of required) {
      const res = await admin.raw(method.toUpperCase(), concrete(path, op));
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(res.body.error.details.length).toBeGreaterThan(0);
    }
  });

  it('event_types items are the catalogs, as enums: a tenant endpoint names either (its purpose decides), an operations endpoint the operational one', async () => {
    const catalog = ((await admin.get('/v1/event-types')).body.data as Array<{ type: string }>).map((e) => e.type);
    const items = (schema: Schema) => [...((schema['properties'].event_types.anyOf as Schema[]).find((s) => s['type'] === 'array')!['items'].enum as string[])].sort();
    for (const schema of [bodySchema('/v1/tenants/{tenant_id}/endpoints', 'post'), bodySchema('/v1/tenants/{tenant_id}/endpoints/{endpoint_id}', 'patch')]) {
      expect(items(schema)).toEqual([...catalog, ...OPERATIONAL_EVENT_TYPE_NAMES].sort());
    }
    expect(items(bodySchema('/v1/operations-endpoints', 'post'))).toEqual([...OPERATIONAL_EVENT_TYPE_NAMES].sort());
  });

  it('URLs are format: uri (http or https)', () => {
    expect(bodySchema('/v1/tenants/{tenant_id}/endpoints', 'post')['properties'].url).toMatchObject({ type: 'string', format: 'uri', pattern: expect.stringMatching(/^\^https\?:/) });
    expect(bodySchema('/v1/tenants/{tenant_id}/endpoints/{endpoint_id}', 'patch')['properties'].url).toMatchObject({ format: 'uri' });
    expect(bodySchema('/v1/partners', 'post')['properties'].ops_webhook_url).toMatchObject({ format: 'uri' });
  });

  it("the URL pattern in the document is the server's rule: what it matches is taken, what it does not is a 422", async () => {
    const pattern = new RegExp(bodySchema('/v1/tenants/{tenant_id}/endpoints', 'post')['properties'].url.pattern);
    const urls = [
      'https://hooks.example.com/x?y=1#z',
      'http://127.0.0.1:9/hook',
      'https://a!b.example/c',
      'https://hooks.example.com:65535/%41',
      'https://\u00cf.example/',
      'https://a.example/ b',
      'https://user:pass@a.example/',
      'https://a.example/%zz',
      'https://[::1]/hook',
      'https://a.example?[',
      'https://99999999/',
      'https://a.example:65536/',
    ];
    for (const url of urls) {
      const res = await admin.post(`/v1/tenants/${ids.tenant}/endpoints`, { url });
      expect({ url, status: res.status }).toEqual({ url, status: pattern.test(url) ? 201 : 422 });
    }
  });

  it('since is a date-time string', () => {
    const since = doc.paths['/v1/deliveries']!['get']!.parameters.find((p) => p.name === 'since')!;
    expect(since.schema).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('the NUL rule, ids and the cross-field rules are in the document', () => {
    expect(doc.info.description).toMatch(/NUL/);
    expect(bodySchema('/v1/tenants', 'post')['properties'].name.pattern).toContain('\\u0000');
    expect(bodySchema('/v1/tenants/{tenant_id}/routes', 'post')['properties'].value.pattern).toContain('\\u0000');
    expect(bodySchema('/v1/tenants', 'post')['properties'].partner_id).toMatchObject({ pattern: expect.stringMatching(/^\^ptn_/), description: expect.stringMatching(/admin key/) });
    // scope decides which id may go with it: one shape per scope, unknown fields refused.
    const apiKey = bodySchema('/v1/api-keys', 'post');
    expect(apiKey['oneOf']).toEqual([
      expect.objectContaining({ properties: expect.objectContaining({ scope: expect.objectContaining({ const: 'partner' }), partner_id: expect.anything() }), additionalProperties: false }),
      expect.objectContaining({ properties: expect.objectContaining({ scope: expect.objectContaining({ const: 'tenant' }), tenant_id: expect.anything() }), additionalProperties: false }),
    ]);
    expect(bodySchema('/v1/reconciliations', 'post')['properties'].to.description).toMatch(/after `from`/);
    expect(bodySchema('/v1/tenants/{tenant_id}/endpoints/{endpoint_id}', 'patch')['minProperties']).toBe(1);
  });

  it('which id an inbound event needs is in the document: call_id for events tied to a call, id or call_id for agent.* and system.*', () => {
    const event = bodySchema('/v1/webhooks/{partner_id}', 'post');
    expect(event['oneOf']).toHaveLength(2);
    const [call, callless] = event['oneOf'] as Schema[];
    expect(call!['required']).toEqual(expect.arrayContaining(['event', 'call_id', 'occurred_at']));
    expect(call!['properties'].event.enum).toEqual(expect.arrayContaining(['call.ended', 'transcript.available']));
    expect(callless!['properties'].event.enum).toEqual(['agent.status_changed', 'agent.config_updated', 'system.maintenance']);
    expect(callless!['required']).toEqual(['event', 'occurred_at']);
    expect(callless!['anyOf']).toEqual([{ required: ['id'] }, { required: ['call_id'] }]);
    for (const branch of [call!, callless!]) expect(branch['additionalProperties']).toBe(false);
  });

  it('voice-session rows are documented as the VoiceSession schema the server checks each row against', () => {
    const upload = bodySchema('/v1/partners/{partner_id}/voice-sessions', 'post');
    const row = resolve(upload['properties'].sessions.items);
    expect(row['required']).toEqual(['call_id', 'status']);
    expect(row['properties'].status.enum).toContain('ended');
    expect(row['additionalProperties']).toBe(false);
  });

  it('a date-time Postgres cannot store (offset from ±16:00, year 0000) is refused as such, never a 5xx', async () => {
    const rows = ['2020-01-01T00:00:00+16:00', '2020-01-01T00:00:00-22:27', '0000-01-01T00:00:00Z'].map((ended_at, i) => ({ call_id: `tz-${i}`, status: 'ended', ended_at }));
    const res = await admin.post(`/v1/partners/${ids.partner}/voice-sessions`, { sessions: rows });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual(rows.map((_, index) => expect.objectContaining({ index, field: 'ended_at', message: expect.stringMatching(/PostgreSQL can store/) })));
    const window = await admin.post('/v1/reconciliations', { from: '0000-01-01T00:00:00Z', to: '2020-01-01T00:00:00Z' });
    expect(window.status).toBe(422);
    expect(bodySchema('/v1/reconciliations', 'post')['properties'].from).toMatchObject({ format: 'date-time', allOf: expect.arrayContaining([expect.objectContaining({ pattern: expect.stringContaining('0000') })]) });
  });

  it('every operation lists the error statuses its shape can produce, each with the error schema', () => {
    for (const { path, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      const keyed = op.security?.length !== 0;
      const expected = [
        ...(keyed ? ['401', '503'] : []),
        ...(op.parameters.some((p) => p.in === 'path') ? ['400', '404'] : []),
        ...(op.requestBody ? ['400', '413', '415', '422'] : []),
        ...(op.parameters.some((p) => p.in === 'query') ? ['422'] : []),
      ];
      expect({ route: `${method} ${path}`, statuses }).toEqual({ route: `${method} ${path}`, statuses: expect.arrayContaining(expected) });
      expect(statuses).not.toContain('default');
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || path === '/readyz') continue;
        expect({ route: `${method} ${path}`, status, schema: response.content?.['application/json']?.schema }).toEqual({
          route: `${method} ${path}`,
          status,
          schema: { $ref: '#/components/schemas/Error' },
        });
      }
    }
    expect(doc.components.schemas['Error']!['properties'].error.required).toEqual(['code', 'message', 'details']);
  });
});
