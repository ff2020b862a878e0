import path from 'node:path';
import { postgresEndpoint } from '../../src/dev/cluster/clusterStack';
import { provisionClusterBinaries } from '../../src/dev/cluster/clusterBinaries';
import type { ClusterPorts } from '../../src/dev/cluster/serverConfig';
import { setupTemporalSchemas } from '../../src/dev/cluster/temporalSchema';
import { TemporalClusterServer } from '../../src/dev/cluster/temporalServer';
import { TemporalUiServer } from '../../src/dev/cluster/uiServer';
import { portPicker } from './launchedStack';
import { freePort } from './ports';

/**
 * The test suite's cluster profile (SWITCHBOARD_TEST_TEMPORAL=cluster): the full Temporal server
 * on the run's Postgres, exactly as `switchboard start --cluster` sets it up (schemas with the sql
 * tool, 4 shards, SQL visibility, search attributes, the UI server), on free ports.
 */
export const TEST_TEMPORAL_PROFILE = process.env['SWITCHBOARD_TEST_TEMPORAL'] === 'cluster' ? 'cluster' : 'dev';

export interface ClusterTemporal {
  server: TemporalClusterServer;
  ui?: TemporalUiServer;
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Below the kernel's ephemeral range (portPicker): the server binds them seconds later, and
 * Temporal stores membership ports in a smallint column, so none may be above 32767.
 */
export async function freeClusterPorts(): Promise<ClusterPorts> {
  const pick = await portPicker();
  return {
    frontend: await pick(),
    frontendHttp: await pick(),
    history: await pick(),
    matching: await pick(),
    worker: await pick(),
    frontendMembership: await pick(),
    historyMembership: await pick(),
    matchingMembership: await pick(),
    workerMembership: await pick(),
  };
}

export async function startClusterTemporal(opts: { databaseUrl: string; rootDir: string; ui?: boolean; log: (line: string) => void }): Promise<ClusterTemporal> {
  const binaries = await provisionClusterBinaries((l) => process.stderr.write(l + '\n'));
  const endpoint = postgresEndpoint(opts.databaseUrl);
  await setupTemporalSchemas(binaries.sqlTool, endpoint, opts.log);
  const server = new TemporalClusterServer({
    serverPath: binaries.server,
    rootDir: path.join(opts.rootDir, 'temporal-cluster'),
    ports: await freeClusterPorts(),
    postgres: endpoint,
    namespace: 'default',
    log: opts.log,
  });
  await server.start();
  let ui: TemporalUiServer | undefined;
  if (opts.ui !== false) {
    ui = new TemporalUiServer({ uiServerPath: binaries.uiServer, rootDir: path.join(opts.rootDir, 'temporal-ui'), port: await freePort(), temporalAddress: server.address, namespace: 'default', log: opts.log });
    try {
      await ui.start();
    } catch (err) {
      await server.stop();
      throw err;
    }
  }
  return {
    server,
    ui,
    address: server.address,
    uiUrl: ui?.url,
    async stop() {
      await ui?.stop();
      await server.stop();
    },
  };
}
