import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * `npm audit --omit=dev`: no high or critical advisory in what ships. The audit needs the
 * registry's advisory endpoint; when that is unreachable (offline, or a mirror without the bulk
 * advisory API) the test is SKIPPED with the reason printed, never counted as a pass.
 */
type AuditReport = {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string; via: unknown[] }>;
  message?: string;
  statusCode?: number;
};

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 90_000 });
let report: AuditReport | undefined;
try {
  report = JSON.parse(run.stdout) as AuditReport;
} catch {
  report = undefined;
}
const reachable = report?.metadata?.vulnerabilities !== undefined;
if (!reachable) {
  const why = report?.message ?? run.stderr?.split('\n').find((l) => l.includes('audit')) ?? run.error?.message ?? 'no JSON report';
  process.stdout.write(`\n[npm audit] SKIPPED: the registry audit endpoint is unreachable (${why})\n`);
}

describe('npm audit --omit=dev', () => {
  (reachable ? it : it.skip)('reports no high or critical vulnerability in production dependencies', () => {
    const counts = report!.metadata!.vulnerabilities!;
    const serious = Object.entries(report!.vulnerabilities ?? {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`);
    process.stdout.write(`\n[npm audit] ${JSON.stringify(counts)}\n`);
    expect(serious).toEqual([]);
    expect((counts['high'] ?? 0) + (counts['critical'] ?? 0)).toBe(0);
  });
});
