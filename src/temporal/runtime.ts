import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

/**
 * The SDK's process-wide runtime: its logs go to our pino logger (structured, same level), and
 * the Rust core exposes its own Prometheus metrics (task latencies, poll/slot gauges) when an
 * address is given (`host:port`; the worker binds it on loopback and merges it into its own
 * /metrics, see workerMetricsServer.ts). Installable once per process, before the first worker or
 * native connection.
 */
export function installTemporalRuntime(logger: Logger, metricsBindAddress?: string): void {
  if (installed) return;
  installed = true;
  const level = (logger.level === 'silent' ? 'ERROR' : logger.level.toUpperCase()) as LogLevel;
  const sdkLogger = new DefaultLogger(level === ('FATAL' as LogLevel) ? 'ERROR' : level, (entry) => {
    const { meta, message } = entry;
    const method = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
    logger[method]({ ...meta, source: 'temporal-sdk' }, message);
  });
  Runtime.install({
    logger: sdkLogger,
    telemetryOptions: metricsBindAddress ? { metrics: { prometheus: { bindAddress: metricsBindAddress } } } : undefined,
  });
}
