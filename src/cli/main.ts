#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version';
import { registerProcessCommands } from './processCommands';

/**
 * `switchboard`: one entry point for every process and operator task. Production runs
 * `migrate`, `server` and `worker` as separate stateless processes; `start` runs them all locally.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('switchboard')
    .description('Durable, tenant-aware webhook ingest and delivery on Temporal')
    .version(VERSION)
    .showHelpAfterError();
  registerProcessCommands(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`switchboard: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    });
}
