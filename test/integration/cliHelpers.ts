import { buildProgram } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import type { TestStack } from '../support/testStack';

export interface CliRun {
  stdout: string;
  stderr: string;
  /** The rejection of a failed command (CliExitError carries the exit code), else undefined. */
  error?: Error & { exitCode?: number };
}

/**
 * Runs `switchboard <args>` in-process, exactly as main.ts does, against the test stack's
 * configuration (its database, Temporal and task queue), with stdout/stderr captured.
 */
export async function runCli(stack: Pick<TestStack, 'config'>, args: string[], opts: { errIsTTY?: boolean } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { out: (t) => void (stdout += t), err: (t) => void (stderr += t), errIsTTY: opts.errIsTTY ?? false };
  const program = buildProgram({ io, loadConfig: () => stack.config });
  // Commander would call process.exit on --help / usage errors; in-process we want an exception.
  program.exitOverride();
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout, stderr };
  } catch (err) {
    return { stdout, stderr, error: err as CliRun['error'] };
  }
}

export async function runCliJson<T>(stack: Pick<TestStack, 'config'>, args: string[]): Promise<T> {
  const r = await runCli(stack, [...args, '--json']);
  if (r.error) throw new Error(`switchboard ${args.join(' ')} failed: ${r.error.message}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
