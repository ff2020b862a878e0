import type { Config } from '../config';
import { LocalStackStateError, localStackStatePath, processIsAlive, readLocalStackState, type LocalStackState } from '../dev/localStackState';
import { CliExitError } from './cliError';
import type { CliIO } from './io';

/**
 * Which stack an operator command talks to. DATABASE_URL or TEMPORAL_ADDRESS in the environment
 * decide (a deployed stack; nothing is guessed). With neither, the command looks for the local
 * stack `npm start` recorded in the data dir, and says on stderr that it uses it, so an operator
 * never acts on a stack without knowing which one.
 */
export class NoLocalStackError extends CliExitError {
  override name = 'NoLocalStackError';
}

const HOW_TO_FIX = 'run `npm start` (with the same SWITCHBOARD_DATA_DIR), or set DATABASE_URL and TEMPORAL_ADDRESS to reach a stack started elsewhere';

export function resolveOperatorTarget(config: Config, io: CliIO): Config {
  if (config.database.url || config.temporal.address) return config;
  const state = runningLocalStack(config.dataDir);
  io.err(`${describeLocalStack(state, config.dataDir)}\n`);
  return {
    ...config,
    database: { ...config.database, url: state.databaseUrl },
    temporal: { ...config.temporal, address: state.temporal.address, namespace: state.temporal.namespace, taskQueue: state.temporal.taskQueue },
  };
}

function runningLocalStack(dataDir: string): LocalStackState {
  const file = localStackStatePath(dataDir);
  let state: LocalStackState | undefined;
  try {
    state = readLocalStackState(dataDir);
  } catch (err) {
    if (err instanceof LocalStackStateError) throw new NoLocalStackError(`${err.message}; or set DATABASE_URL and TEMPORAL_ADDRESS`);
    throw err;
  }
  if (!state) {
    throw new NoLocalStackError(`no DATABASE_URL or TEMPORAL_ADDRESS set, and no local stack is running (${file} does not exist): ${HOW_TO_FIX}`);
  }
  if (!processIsAlive(state.launcherPid)) {
    throw new NoLocalStackError(
      `no DATABASE_URL or TEMPORAL_ADDRESS set, and the local stack recorded in ${file} is not running (its launcher, pid ${state.launcherPid}, is gone: it did not stop cleanly): ${HOW_TO_FIX}`,
    );
  }
  return state;
}

/** Names hosts and ports only: the database URL carries the password. */
export function describeLocalStack(state: LocalStackState, dataDir: string): string {
  const db = new URL(state.databaseUrl);
  return (
    `using the local stack started by npm start (pid ${state.launcherPid}, data dir ${dataDir}): ` +
    `postgres ${db.hostname}:${db.port || '5432'}, temporal ${state.temporal.address}`
  );
}
