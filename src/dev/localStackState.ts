import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What a running `npm start` tells other processes on the machine (the operator CLI) about
 * itself: `<dataDir>/local-stack.json`, written once the stack is ready and removed on a clean
 * stop. A file whose launcher pid is gone was left by a stack that did not stop cleanly.
 *
 * Mode 0600: the database URL carries the local Postgres password.
 */
export const LOCAL_STACK_STATE_FILE = 'local-stack.json';

export const LocalStackStateSchema = z.object({
  databaseUrl: z.string().min(1),
  temporal: z.object({
    address: z.string().min(1),
    namespace: z.string().min(1),
    taskQueue: z.string().min(1),
  }),
  apiUrl: z.string().url(),
  temporalUiUrl: z.string().url().optional(),
  launcherPid: z.number().int().positive(),
  startedAt: z.string().datetime(),
});

export type LocalStackState = z.infer<typeof LocalStackStateSchema>;

export class LocalStackStateError extends Error {
  override name = 'LocalStackStateError';
}

export function localStackStatePath(dataDir: string): string {
  return path.join(dataDir, LOCAL_STACK_STATE_FILE);
}

/** Written to a fresh temp file and renamed into place, so a reader never sees half a file. */
export function writeLocalStackState(dataDir: string, state: LocalStackState): void {
  const file = localStackStatePath(dataDir);
  const staging = `${file}.${process.pid}.tmp`;
  rmSync(staging, { force: true });
  writeFileSync(staging, JSON.stringify(LocalStackStateSchema.parse(state), null, 2) + '\n', { mode: 0o600 });
  renameSync(staging, file);
}

/** undefined when no stack wrote one; throws LocalStackStateError when the file is not a valid state. */
export function readLocalStackState(dataDir: string): LocalStackState | undefined {
  const file = localStackStatePath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalStackStateError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LocalStackStateError(`${file} is not JSON (${(err as Error).message}); remove it and run npm start again`);
  }
  const parsed = LocalStackStateSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new LocalStackStateError(`${file} is not a valid local stack state (${problems}); remove it and run npm start again`);
  }
  return parsed.data;
}

/**
 * Removes the file if it is this launcher's: a stop never deletes what another launcher wrote.
 * Never throws (it runs during shutdown).
 */
export function removeLocalStackState(dataDir: string, launcherPid = process.pid): void {
  try {
    if (readLocalStackState(dataDir)?.launcherPid !== launcherPid) return;
  } catch {
    // An unreadable or invalid file is not a running stack's: removing it is safe.
  }
  rmSync(localStackStatePath(dataDir), { force: true });
}

/**
 * Writes the state now and returns the stop step that removes it, so the launcher adds one line
 * at the point where its stack is ready.
 */
export function publishLocalStackState(dataDir: string, state: Omit<LocalStackState, 'launcherPid' | 'startedAt'>): () => Promise<void> {
  writeLocalStackState(dataDir, { ...state, launcherPid: process.pid, startedAt: new Date().toISOString() });
  return async () => removeLocalStackState(dataDir);
}

/** Signal 0 checks existence only; EPERM means it exists but belongs to someone else. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
