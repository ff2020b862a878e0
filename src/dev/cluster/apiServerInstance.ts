import type { ChildExit } from '../childProcess';
import { NodeService } from '../nodeService';

/**
 * One of the N `switchboard server` processes behind the proxy. Each listens on a port of its own
 * choosing (PORT=0) and says which when ready; `url` is that address while the process runs and
 * undefined from the moment it exits until its restart is ready, so the proxy never routes a new
 * request to a dead server.
 */
export class ApiServerInstance {
  private readonly service: NodeService;
  private current?: string;

  constructor(env: Record<string, string>) {
    this.service = new NodeService({ command: 'server', env: { ...env, PORT: '0' } });
  }

  get url(): string | undefined {
    return this.current;
  }

  get pid(): number | undefined {
    return this.service.pid;
  }

  get exited(): Promise<ChildExit> {
    return this.service.exited;
  }

  async start(): Promise<void> {
    await this.service.start();
    // Its own address, not `url` (which is SWITCHBOARD_PUBLIC_URL when one is set).
    const url = `http://127.0.0.1:${Number(this.service.ready?.['port'])}`;
    this.current = url;
    void this.service.exited.then(() => {
      if (this.current === url) this.current = undefined;
    });
  }

  async stop(): Promise<void> {
    this.current = undefined;
    await this.service.stop();
  }
}
