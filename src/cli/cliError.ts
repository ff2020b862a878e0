/**
 * A command's failure with the exit code it should produce. main.ts prints the message and exits;
 * in-process callers (tests) see the rejection and its code.
 */
export class CliExitError extends Error {
  override name = 'CliExitError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
