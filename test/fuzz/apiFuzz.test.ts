import { apiAs, type ApiResponse } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';
import { fuzzSettings, type FuzzKey } from './fuzzSettings';
import { resolveSchemathesis, type Schemathesis } from './schemathesisInstall';
import { runSchemathesis, type FuzzTarget } from './schemathesisRun';

/**
 * schemathesis (the OpenAPI-driven fuzzer, pinned in requirements.txt) against the real server,
 * Postgres and Temporal of the test run: once with each of the admin, partner and tenant keys,
 * all checks, stateful phase on, fixed seed (schemathesis.toml). Zero failures is the bar; a
 * failure prints schemathesis' report with a curl reproduction for each failing check.
 *
 * The stack has no worker and refuses private networks (the production default): the fuzzer
 * registers endpoints at URLs of its own invention and asks for test deliveries, and nothing may
 * leave this machine. Without a worker no delivery is ever attempted; every request the fuzzer
 * sends goes to the loopback server.
 */
const settings = fuzzSettings();

describe('API fuzzing (schemathesis)', () => {
  let stack: TestStack;
  let st: Schemathesis;
  const abort = new AbortController();

  beforeAll(async () => {
    st = await resolveSchemathesis((line) => process.stderr.write(line + '\n'));
    stack = await startTestStack({ worker: false, env: { SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'false' } });
  }, 10 * 60_000);
  afterAll(async () => {
    abort.abort();
    await stack?.close();
  });

  /**
   * A partner, a tenant, an endpoint and an inbound source of its own for each run (a run rotates
   * and disables what it was given), plus a spare tenant, endpoint and source for its DELETE
   * operations to consume.
   */
  async function createTarget(key: FuzzKey): Promise<FuzzTarget> {
    const admin = apiAs(stack, stack.adminKey);
    const partner = await created(admin.post('/v1/partners', { name: `Fuzz partner (${key} run)` }));
    const asPartner = apiAs(stack, partner.api_key);
    const tenant = await created(asPartner.post('/v1/tenants', { name: `Fuzz tenant (${key} run)` }));
    const spareTenant = await created(asPartner.post('/v1/tenants', { name: `Spare fuzz tenant (${key} run)` }));
    // .invalid never resolves (RFC 2606), and without a worker nothing would be sent anyway.
    const endpointBody = { url: 'https://fuzz-receiver.invalid/hook', event_types: ['call.ended'] };
    const endpoint = await created(asPartner.post(`/v1/tenants/${tenant.id}/endpoints`, endpointBody));
    const spareEndpoint = await created(asPartner.post(`/v1/tenants/${tenant.id}/endpoints`, endpointBody));
    const sourceBody = { name: 'Fuzz source', verification: { scheme: 'token' }, mapping: { event: '/type', call_id: '/id' } };
    const source = await created(asPartner.post(`/v1/partners/${partner.id}/sources`, sourceBody));
    const spareSource = await created(asPartner.post(`/v1/partners/${partner.id}/sources`, sourceBody));
    return {
      openApiUrl: `${stack.api}/openapi.json`,
      key,
      apiKey: { admin: stack.adminKey, partner: partner.api_key, tenant: tenant.api_key }[key],
      partnerId: partner.id,
      inboundSecret: partner.inbound_secret,
      tenantId: tenant.id,
      endpointId: endpoint.id,
      spareTenantId: spareTenant.id,
      spareEndpointId: spareEndpoint.id,
      sourceId: source.id,
      spareSourceId: spareSource.id,
    };
  }

  async function created(response: Promise<ApiResponse>): Promise<{ id: string; api_key: string; inbound_secret: string }> {
    const res = await response;
    if (res.status !== 201) throw new Error(`creating a fuzz target failed: ${res.status} ${res.text}`);
    return res.body;
  }

  // Generous: the bound is schemathesis' example count, not a clock; this only stops a wedged run.
  const perRunTimeout = Math.max(20 * 60_000, (settings.maxTimeSeconds ?? 0) * 1000 * 2);

  it.each(settings.keys)(
    'finds no failure with the %s key',
    async (key) => {
      const target = await createTarget(key);
      const run = await runSchemathesis(st, target, settings, abort.signal);
      process.stderr.write(`schemathesis ${st.version}, ${key} key: exit ${run.exitCode} in ${Math.round(run.durationMs / 1000)}s\n`);
      if (run.exitCode !== 0) {
        throw new Error(`schemathesis ${st.version} with the ${key} key failed (exit ${run.exitCode}); its report:\n\n${run.output}`);
      }
    },
    perRunTimeout,
  );
});
