import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../config';
import { searchAttributeFlags } from '../temporal/searchAttributes';

/**
 * Last resort when no `temporal` binary and no Go toolchain exist: the SDK downloads the dev
 * server (this needs internet, which a developer laptop has and this CI machine does not).
 */
export interface SdkDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startSdkDevServer(config: Config, dbFile: string): Promise<SdkDevServer> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: '127.0.0.1',
      port: config.temporal.port,
      ui: true,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dbFilename: dbFile,
      extraArgs: searchAttributeFlags().flatMap((f) => ['--search-attribute', f]),
    },
  });
  return {
    address: `127.0.0.1:${config.temporal.port}`,
    uiUrl: `http://127.0.0.1:${config.temporal.uiPort}`,
    stop: () => env.teardown(),
  };
}
