#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config';
import { VERSION } from '../version';
import { CliExitError } from './cliError';
import { registerDeliveriesCommands } from './deliveriesCommand';
import { registerEventsCommands } from './eventsCommand';
import { processIO, type CliIO } from './io';
import type { CliEnvironment } from './operatorContext';
import { registerProcessCommands } from './processCommands';
import { registerQuarantineCommands } from './quarantineCommands';
import { registerReconciliationCommands } from './reconciliationCommands';
import { registerReplayCommand } from './replayCommand';

/**
 * `switchboard`: one entry point for every process and operator task. Production runs
 * `migrate`, `server` and `worker` as separate stateless processes; `start` runs them all locally.
 * Operator commands (events, deliveries, replay, reconcile, incidents, quarantine) use the same
 * configuration as the server and call the same domain functions as the HTTP API, with admin scope.
 *
 * `options` lets tests run the CLI in-process with captured output and a given configuration.
 */
export function buildProgram(options: { io?: CliIO; loadConfig?: () => ReturnType<typeof loadConfig>; env?: CliEnvironment } = {}): Command {
  const env: CliEnvironment = options.env ?? { io: options.io ?? processIO, loadConfig: options.loadConfig ?? (() => loadConfig()) };
  const program = new Command();
  program
    .name('switchboard')
    .description('Durable, tenant-aware webhook ingest and delivery on Temporal')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeOut: env.io.out, writeErr: env.io.err });
  registerProcessCommands(program);
  registerEventsCommands(program, env);
  registerDeliveriesCommands(program, env);
  registerReplayCommand(program, env);
  registerReconciliationCommands(program, env);
  registerQuarantineCommands(program, env);
  return program;
}

/** Runs the CLI as a process (bin/switchboard calls it for the source and the compiled build). */
export function runMain(argv: readonly string[] = process.argv): void {
  const env: CliEnvironment = { io: processIO, loadConfig: () => loadConfig() };
  buildProgram({ env })
    .parseAsync([...argv])
    .then(
      // A finished operator command exits explicitly, so a lingering SDK handle (the native
      // runtime after a replay) cannot keep it alive. Process commands (server, start) keep
      // running after their action returns, until a signal stops them.
      () => {
        if (env.operatorCommandRan) process.exit(process.exitCode ?? 0);
      },
      (err: unknown) => {
        if (err instanceof CommanderError) process.exit(err.exitCode);
        process.stderr.write(`switchboard: ${(err as Error).message ?? String(err)}\n`);
        process.exit(err instanceof CliExitError ? err.exitCode : 1);
      },
    );
}

if (require.main === module) runMain();
