import { ServiceProcess, type ServiceProcessSpec } from '../../../src/dev/serviceProcess';

/**
 * The supervised child every Temporal binary of the launcher runs as, with /bin/sh standing in
 * for the binary: ready when its probe answers, an early exit fails the start with its output, a
 * start that fails leaves nothing running.
 */
describe('ServiceProcess', () => {
  const lines: string[] = [];
  const spec = (script: string, ready: () => Promise<unknown>, extra: Partial<ServiceProcessSpec> = {}): ServiceProcessSpec => ({
    name: 'Test service',
    command: '/bin/sh',
    args: ['-c', script],
    ready,
    readyWhat: 'the test service',
    readyTimeoutMs: 5_000,
    readyIntervalMs: 50,
    stopGraceMs: 2_000,
    log: (line) => lines.push(line),
    ...extra,
  });
  const alive = (pid: number | undefined) => {
    try {
      process.kill(pid!, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('starts once the probe answers, and stop() ends it (SIGTERM)', async () => {
    const service = new ServiceProcess();
    let probes = 0;
    await service.start(spec('exec sleep 30', async () => {
      if (++probes < 3) throw new Error('not yet');
    }));
    expect(probes).toBe(3);
    expect(alive(service.pid)).toBe(true);
    const pid = service.pid;
    await service.stop();
    expect(await service.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(alive(pid)).toBe(false);
  });

  it('an exit before it is ready fails the start with the exit and the tail of stderr (and stdout when asked)', async () => {
    const never = () => Promise.reject(new Error('not listening'));
    await expect(new ServiceProcess().start(spec('echo "bind: address already in use" >&2; exit 3', never))).rejects.toThrow(
      /^Test service exited early \(code 3\):\nbind: address already in use\n$/,
    );
    await expect(new ServiceProcess().start(spec('echo "config: bad port"; exit 1', never, { captureStdout: true }))).rejects.toThrow(
      /exited early \(code 1\):\nconfig: bad port\n$/,
    );
  });

  it('a start that times out stops the child it left running', async () => {
    const service = new ServiceProcess();
    await expect(service.start(spec('exec sleep 30', () => Promise.reject(new Error('never ready')), { readyTimeoutMs: 300 }))).rejects.toThrow(/never ready|the test service/);
    expect(await service.exited).toMatchObject({ signal: 'SIGTERM' });
  });
});
