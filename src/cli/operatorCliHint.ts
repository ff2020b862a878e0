import type { Config } from '../config';

/**
 * The `npm start` banner's lines for operators: the CLI in this checkout finds the stack by
 * itself (local-stack.json in the data dir); anywhere else it needs these variables.
 */
export function operatorCliLines(config: Config): string[] {
  const vars = [`DATABASE_URL=${shellQuote(config.database.url ?? '')}`, `TEMPORAL_ADDRESS=${config.temporal.address ?? ''}`];
  if (config.temporal.namespace !== 'default') vars.push(`TEMPORAL_NAMESPACE=${shellQuote(config.temporal.namespace)}`);
  if (config.temporal.taskQueue !== 'switchboard') vars.push(`TEMPORAL_TASK_QUEUE=${shellQuote(config.temporal.taskQueue)}`);
  return [
    `    Operator CLI   npx switchboard --help   (finds this stack through the data dir)`,
    `    CLI elsewhere  export ${vars.join(' ')}`,
  ];
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
