import pg from 'pg';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';
import { connectClient } from '../../src/temporal/connection';
import { loadConfig } from '../../src/config';
import { HISTORY_SHARDS } from '../../src/dev/cluster/serverConfig';
import { eventually } from '../support/eventually';
import { postEvent } from '../support/inboundSigning';
import { launchCluster, partnerDeliveryCounts, seedRoute, type LaunchedCluster } from '../support/launchedCluster';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * `switchboard start --cluster` from nothing (a fresh data dir): the full Temporal server on the
 * embedded Postgres, its Web UI server, two workers and two API servers as separate processes, one
 * URL. Events posted to that URL are delivered; Temporal keeps its data in its own databases of
 * the same Postgres with 4 shards; the search attributes work in SQL visibility and through the UI
 * server's API.
 */
describe('switchboard start --cluster', () => {
  let cluster: LaunchedCluster;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    cluster = await launchCluster();
  }, 660_000);
  afterAll(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  it('runs 2 workers and 2 API servers as processes, and the Temporal server and UI server, behind one printed URL', () => {
    const output = cluster.launched.output();
    expect(output).toContain('Switchboard is running');
    expect(output).toContain(`API            ${cluster.api}`);
    expect(output).toMatch(/Topology +2 API server\(s\) behind the URL above, 2 worker\(s\)/);
    const children = cluster.children();
    expect(children.workers).toHaveLength(2);
    expect(children.servers).toHaveLength(2);
    expect(children.temporal).toBeDefined();
    expect(children.ui).toBeDefined();
    expect(children.postgres).toBeDefined();
  });

  it('delivers events posted to the one URL, and Temporal keeps them in Postgres on 4 shards, searchable by tenant', async () => {
    const { partner, tenantId } = await seedRoute(cluster.core, receiver.url, 'crm-cluster-e2e');
    const acks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await postEvent(cluster.api, partner.id, partner.inbound_secret, { event: 'call.ended', call_id: `cluster-e2e-${i}`, occurred_at: new Date().toISOString(), runtime_vars: { crm_account_id: 'crm-cluster-e2e' } });
      expect(res.status).toBe(202);
      acks.push(((await res.json()) as { workflow_id: string }).workflow_id);
    }
    await eventually(() => partnerDeliveryCounts(cluster.core, partner.id), (c) => c['delivered'] === 6, 120_000);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(6);

    // Temporal's own rows: in the `temporal` database of the same Postgres, on every shard.
    const temporalDb = new URL(cluster.core.config.database.url!);
    temporalDb.pathname = '/temporal';
    const client = new pg.Client({ connectionString: temporalDb.toString() });
    await client.connect();
    try {
      const shards = await client.query('select shard_id from shards order by shard_id');
      expect(shards.rows.map((r: { shard_id: number }) => r.shard_id)).toEqual(Array.from({ length: HISTORY_SHARDS }, (_, i) => i + 1));
      const executions = await client.query('select count(distinct shard_id)::int as n from executions');
      expect(executions.rows[0].n).toBeGreaterThan(1);
    } finally {
      await client.end();
    }

    // SQL visibility with the project's search attributes, through the SDK and the UI server.
    const temporal = await connectClient(loadConfig({ TEMPORAL_ADDRESS: cluster.temporalAddress }).temporal);
    try {
      const listed = await temporal.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of CUSTOM_SEARCH_ATTRIBUTES) expect(Object.keys(listed.customAttributes ?? {})).toContain(key.name);
      const query = `TenantId = "${tenantId}" AND WorkflowType = "eventWorkflow"`;
      const found = await eventually(
        async () => {
          const ids: string[] = [];
          for await (const w of temporal.workflow.list({ query })) ids.push(w.workflowId);
          return ids.sort();
        },
        (ids) => ids.length === 6,
        60_000,
      );
      expect(found).toEqual([...acks].sort());
      const ui = await fetch(`${cluster.uiUrl}/api/v1/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      expect(ui.status).toBe(200);
      const body = (await ui.json()) as { executions?: Array<{ execution: { workflowId: string } }> };
      expect((body.executions ?? []).map((e) => e.execution.workflowId).sort()).toEqual([...acks].sort());
    } finally {
      await temporal.connection.close();
    }
  });
});
