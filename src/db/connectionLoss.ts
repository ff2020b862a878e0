/**
 * What a dropped database connection means, for the log. Postgres says why it ends a session
 * (SQLSTATE class 57, operator intervention): 57P01 admin_shutdown is the server ending it on
 * purpose (a shutdown, `pg_terminate_backend`, or its backends leaving after the postmaster died),
 * not a network failure; and any drop while this process is itself shutting down is expected.
 * Only what is left is a connection lost for reasons nobody stated.
 */
export interface ConnectionLossReport {
  level: 'debug' | 'warn';
  message: string;
}

const SERVER_SIDE_CLOSES: Record<string, string> = {
  '57P01': 'database server ended this connection (57P01 admin_shutdown: it is shutting down or terminated the session); the pool reconnects when it is back',
  '57P02': 'database server ended this connection (57P02 crash_shutdown: another backend crashed); the pool reconnects when it is back',
  '57P03': 'database server is starting or stopping (57P03 cannot_connect_now); the pool retries',
};

export function describeConnectionLoss(err: { code?: unknown }, processShuttingDown: boolean): ConnectionLossReport {
  if (processShuttingDown) return { level: 'debug', message: 'database connection closed while this process shuts down' };
  const known = typeof err.code === 'string' ? SERVER_SIDE_CLOSES[err.code] : undefined;
  return { level: 'warn', message: known ?? 'database connection lost' };
}
