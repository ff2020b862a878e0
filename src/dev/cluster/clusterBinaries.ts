import path from 'node:path';
import { defaultCacheDir } from '../../config';
import { goAvailable, goInstall, isInstalled } from './goInstall';

/**
 * The full Temporal server, its SQL schema tool and the Temporal Web UI server, built from the Go
 * module proxy into ~/.cache/switchboard (outside the clone, shared by clones, CI and tests).
 *
 * The versions are the ones the pinned CLI (temporalCli.ts, v1.5.1) embeds: server 1.29.1 and UI
 * server 2.42.1, so the dev-server stack and the cluster stack run the same Temporal.
 * docker-compose.yml names the same versions (test/unit/dev/clusterCompose.test.ts compares).
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_UI_SERVER_VERSION = 'v2.42.1';

const SERVER_PACKAGES = [`go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`];
const UI_PACKAGES = [`github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_SERVER_VERSION}`];

export interface ClusterBinaries {
  /** `server start`: frontend, history, matching and worker services in one process. */
  server: string;
  /** temporal-sql-tool: create-database, setup-schema, update-schema (schemas embedded). */
  sqlTool: string;
  /** The Web UI server (serves the UI and proxies to the frontend's gRPC). */
  uiServer: string;
}

export function serverDir(cacheDir = defaultCacheDir()): string {
  return path.join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

export function uiServerDir(cacheDir = defaultCacheDir()): string {
  return path.join(cacheDir, `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`);
}

export class ClusterProvisionError extends Error {
  override name = 'ClusterProvisionError';
}

export function clusterBinariesInstalled(cacheDir = defaultCacheDir()): boolean {
  return isInstalled(serverDir(cacheDir), ['server', 'sql']) && isInstalled(uiServerDir(cacheDir), ['server']);
}

/** Builds what is missing (first time: ~8 minutes for the server, ~2 for the UI on two cores). */
export async function provisionClusterBinaries(log: (line: string) => void, cacheDir = defaultCacheDir()): Promise<ClusterBinaries> {
  if (!clusterBinariesInstalled(cacheDir) && !goAvailable()) {
    throw new ClusterProvisionError('cluster mode needs the Temporal server binaries, and building them needs Go (https://go.dev/dl/) on PATH');
  }
  const server = await goInstall({
    label: `the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool`,
    packages: SERVER_PACKAGES,
    targetDir: serverDir(cacheDir),
    binaries: ['server', 'sql'],
    log,
  });
  const ui = await goInstall({
    label: `the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`,
    packages: UI_PACKAGES,
    targetDir: uiServerDir(cacheDir),
    binaries: ['server'],
    log,
  });
  return { server: path.join(server, 'server'), sqlTool: path.join(server, 'sql'), uiServer: path.join(ui, 'server') };
}
