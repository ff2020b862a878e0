import type { Client } from '@temporalio/client';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { workflowBundle } from '../temporal/worker';
import type { HistoryMessage } from './historyJson';

/**
 * Replays histories against workflow code: the current code (the worker's own bundle) by
 * default, or another workflows module (a test replays against a modified copy to prove the gate
 * fails). A DeterminismViolationError means the code would break workflows already running.
 */
export interface HistoryToReplay {
  workflowId: string;
  history: HistoryMessage;
}

export interface ReplayOutcome {
  workflowId: string;
  ok: boolean;
  /** `nondeterminism` (code and history disagree) or `error` (anything else that failed the task). */
  failure?: 'nondeterminism' | 'error';
  message?: string;
}

export async function replayHistories(histories: Iterable<HistoryToReplay> | AsyncIterable<HistoryToReplay>, workflowsPath?: string): Promise<ReplayOutcome[]> {
  const options: ReplayWorkerOptions = workflowsPath ? { workflowsPath } : { workflowBundle: await workflowBundle() };
  const out: ReplayOutcome[] = [];
  for await (const r of Worker.runReplayHistories(options, histories)) {
    if (!r.error) out.push({ workflowId: r.workflowId, ok: true });
    else {
      const nondeterminism = r.error.name === 'DeterminismViolationError' || /nondetermin/i.test(r.error.message);
      out.push({ workflowId: r.workflowId, ok: false, failure: nondeterminism ? 'nondeterminism' : 'error', message: r.error.message });
    }
  }
  return out;
}

/** One workflow's history from the server (latest run). */
export async function fetchHistory(client: Client, workflowId: string): Promise<HistoryToReplay> {
  return { workflowId, history: (await client.workflow.getHandle(workflowId).fetchHistory()) as HistoryMessage };
}

/**
 * Histories of every workflow matching a visibility query, streamed (a query over thousands of
 * workflows never holds them all in memory). Open workflows replay up to their last event.
 */
export async function* fetchHistoriesByQuery(client: Client, query: string, limit: number): AsyncIterable<HistoryToReplay> {
  let n = 0;
  for await (const wf of client.workflow.list({ query })) {
    if (n++ >= limit) return;
    yield { workflowId: wf.workflowId, history: (await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()) as HistoryMessage };
  }
}
