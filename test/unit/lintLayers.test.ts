import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rules in eslint.config.mjs fire where they should and only there: each case lints one
 * import line as if it were in the named file. ESLint's config is an ES module, so it runs in a
 * child node (jest's CommonJS runtime cannot import it); the type-aware rules are switched off
 * there because the probe files do not exist on disk (they are linted by `npm run lint`).
 */
const ROOT = join(__dirname, '../..');

const LINT_CASES = `
import { ESLint } from 'eslint';
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});
const cases = JSON.parse(process.env.LINT_CASES);
const out = [];
for (const [filePath, code] of cases) {
  const [result] = await eslint.lintText(code + '\\n', { filePath });
  out.push(result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').length > 0);
}
process.stdout.write(JSON.stringify(out));
`;

/** [file the import is in, the import line, refused?] */
const CASES: Array<[string, string, boolean]> = [
  ['workflows/probe.ts', "import { readFileSync } from 'node:fs';", true],
  ['workflows/probe.ts', "import { join } from 'path';", true],
  ['workflows/probe.ts', "import { Pool } from 'pg';", true],
  ['workflows/probe.ts', "import { sql } from 'kysely';", true],
  ['workflows/probe.ts', "import { fetch } from 'undici';", true],
  ['workflows/probe.ts', "import { Client } from '@temporalio/client';", true],
  ['workflows/probe.ts', "import { connect } from '../src/db/connect';", true],
  ['workflows/probe.ts', "import { createActivities } from '../activities';", true],
  ['workflows/probe.ts', "import type { Activities } from '../activities';", false],
  ['workflows/probe.ts', "import type { PlannedDelivery } from '../activities/planDeliveries';", false],
  ['workflows/probe.ts', "import { sleep } from '@temporalio/workflow';", false],
  ['workflows/probe.ts', "import { retryDelay } from '../src/domain/retrySchedule';", false],
  ['workflows/probe.ts', "import { TenantId } from '../src/temporal/searchAttributes';", false],
  ['workflows/probe.ts', "import { x } from './deliveryFailure';", false],
  ['src/domain/probe.ts', "import type { EventStatus } from '../db/schema';", true],
  ['src/domain/probe.ts', "import { createHash } from 'node:crypto';", true],
  ['src/domain/probe.ts', "import { x } from './eventTypes';", false],
  ['activities/probe.ts', "import { startServer } from '../src/server/startServer';", true],
  ['activities/probe.ts', "import { main } from '../src/cli/main';", true],
  ['activities/probe.ts', "import { connect } from '../src/db/connect';", false],
  ['src/ingest/probe.ts', "import { startServer } from '../server/startServer';", true],
  ['src/probe.ts', "import { createApp } from './server/app';", true],
  ['src/cli/probe.ts', "import { startServer } from '../server/startServer';", true],
  ['src/cli/processCommands.ts', "import { startServer } from '../server/startServer';", false],
  ['src/server/probe.ts', "import { createApp } from './app';", false],
];

describe('lint: layer boundaries (eslint.config.mjs)', () => {
  it('refuses each import that crosses a layer and allows the ones that do not', () => {
    const refused = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', LINT_CASES], {
        cwd: ROOT,
        env: { ...process.env, LINT_CASES: JSON.stringify(CASES.map(([file, code]) => [file, code])) },
        encoding: 'utf8',
      }),
    ) as boolean[];
    expect(CASES.map(([file, code], i) => `${file}: ${code} → ${refused[i] ? 'refused' : 'allowed'}`)).toEqual(
      CASES.map(([file, code, expected]) => `${file}: ${code} → ${expected ? 'refused' : 'allowed'}`),
    );
  });
});
