import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { decodeHistoryJson, workflowIdOf } from '../replay/historyJson';
import { fetchHistoriesByQuery, fetchHistory, replayHistories, type HistoryToReplay, type ReplayOutcome } from '../replay/replayHistories';
import { installTemporalRuntime } from '../temporal/runtime';
import { CliExitError } from './cliError';
import { parseLimit } from './options';
import { printJson, type CliIO } from './io';
import { withOperator, type CliEnvironment } from './operatorContext';

interface ReplayOptions {
  file?: string[];
  query?: string;
  limit: string;
  workflowsPath?: string;
  json?: boolean;
}

function report(io: CliIO, outcomes: ReplayOutcome[], json: boolean | undefined): void {
  const failed = outcomes.filter((o) => !o.ok);
  if (json) printJson(io, { replayed: outcomes.length, failed: failed.length, results: outcomes });
  else {
    for (const o of outcomes) {
      if (o.ok) io.out(`ok    ${o.workflowId}\n`);
      else io.out(`FAIL  ${o.workflowId}: ${o.failure === 'nondeterminism' ? 'NON-DETERMINISTIC: ' : ''}${o.message}\n`);
    }
    io.out(`${outcomes.length - failed.length} of ${outcomes.length} histories replayed cleanly\n`);
  }
  if (outcomes.length === 0) throw new CliExitError('no histories to replay', 2);
  if (failed.length > 0) {
    const nd = failed.filter((o) => o.failure === 'nondeterminism').length;
    throw new CliExitError(
      nd > 0
        ? `${nd} histor${nd === 1 ? 'y is' : 'ies are'} not deterministic with the current workflow code: deploying it would break these workflows ` +
            '(guard the change with patched() or ship a new workflow type)'
        : `${failed.length} histor${failed.length === 1 ? 'y' : 'ies'} failed to replay`,
      1,
    );
  }
}

export function registerReplayCommand(program: Command, env: CliEnvironment): void {
  program
    .command('replay')
    .description('Replay workflow histories against the current workflow code; exits 1 on a determinism error')
    .argument('[workflow_id]', 'a workflow on the server (latest run)')
    .option('--file <path...>', 'history JSON file(s): `temporal workflow show -w <id> -o json > h.json`, or test/histories/*.json')
    .option('--query <visibility query>', 'every workflow matching a visibility query, e.g. \'WorkflowType = "deliveryWorkflow" AND ExecutionStatus = "Running"\'')
    .option('--limit <n>', 'with --query: at most n workflows', '1000')
    .option('--workflows-path <path>', 'replay against this workflows module instead of the current code (testing a change before deploying it)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 every history replayed, 1 a history failed (non-determinism is named as such), 2 nothing to replay / bad input.',
    )
    .action(async (workflowId: string | undefined, opts: ReplayOptions) => {
      const sources = [workflowId, opts.file, opts.query].filter((s) => s !== undefined).length;
      if (sources !== 1) throw new CliExitError('give exactly one of <workflow_id>, --file, --query', 2);
      const workflowsPath = opts.workflowsPath ? path.resolve(opts.workflowsPath) : undefined;
      return withOperator(env, async (ctx) => {
        // SDK logs (bundler, replay worker) go through our stderr logger, not stdout.
        installTemporalRuntime(ctx.logger);
        let histories: Iterable<HistoryToReplay> | AsyncIterable<HistoryToReplay>;
        if (opts.file) {
          histories = opts.file.map((f) => {
            let text: string;
            try {
              text = readFileSync(f, 'utf8');
            } catch (err) {
              throw new CliExitError(`cannot read ${f}: ${(err as Error).message}`, 2);
            }
            let history;
            try {
              history = decodeHistoryJson(text, f);
            } catch (err) {
              throw new CliExitError((err as Error).message, 2);
            }
            return { workflowId: workflowIdOf(history) ?? path.basename(f, '.json'), history };
          });
        } else {
          const client = await ctx.temporal();
          histories = workflowId ? [await fetchHistory(client, workflowId)] : fetchHistoriesByQuery(client, opts.query!, parseLimit(opts.limit));
        }
        report(env.io, await replayHistories(histories, workflowsPath), opts.json);
      });
    });
}
