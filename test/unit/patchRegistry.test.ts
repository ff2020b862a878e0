import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * docs/versioning.md's rule, checked: every patch in the workflow code has a row in the
 * "Patches in flight" table (its step and removal condition), the row's step matches the call
 * (`patched` = step 1, `deprecatePatch` = step 2), and the replay fixtures of the code before it
 * are kept in `test/histories/before-<id>/` exactly as long as the patch lives.
 */
const REPO = path.resolve(__dirname, '..', '..');

interface PatchCall {
  id: string | null;
  kind: 'patched' | 'deprecatePatch';
  file: string;
}
interface RegistryRow {
  id: string;
  step: string;
}

/** `patched('x')` / `deprecatePatch('x')` calls; id null when the argument is not a string literal. */
export function findPatchCalls(file: string, source: string): PatchCall[] {
  // Comments may mention patched() freely.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/\b(patched|deprecatePatch)\(\s*(?:'([^']*)'|"([^"]*)")?/g)].map((m) => ({
    kind: m[1] as PatchCall['kind'],
    id: m[2] ?? m[3] ?? null,
    file,
  }));
}

/** The rows of the "Patches in flight" table. */
export function readRegistry(markdown: string): RegistryRow[] {
  const section = /^## Patches in flight\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(markdown);
  if (!section) throw new Error('docs/versioning.md has no "## Patches in flight" section');
  return section[1]!
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => ({ id: cells[1]!.replace(/`/g, ''), step: cells[4]! }));
}

export function registryProblems(calls: PatchCall[], rows: RegistryRow[], fixtureFolders: string[]): string[] {
  const problems: string[] = [];
  for (const c of calls.filter((c) => c.id === null)) problems.push(`${c.file}: ${c.kind}() needs a string literal id`);
  const byId = new Map<string, Set<PatchCall['kind']>>();
  for (const c of calls) if (c.id !== null) byId.set(c.id, (byId.get(c.id) ?? new Set()).add(c.kind));
  for (const [id, kinds] of byId) {
    if (kinds.size > 1) problems.push(`${id}: both patched() and deprecatePatch() in the code`);
    const row = rows.find((r) => r.id === id);
    if (!row) {
      problems.push(`${id}: no row in docs/versioning.md "Patches in flight"`);
      continue;
    }
    const step = kinds.has('patched') ? '1. patch' : '2. deprecate';
    if (row.step !== step) problems.push(`${id}: the code is at step "${step}", docs/versioning.md says "${row.step}"`);
    if (!fixtureFolders.includes(`before-${id}`)) problems.push(`${id}: no test/histories/before-${id}/ (the histories of the code before it)`);
  }
  for (const r of rows) if (!byId.has(r.id)) problems.push(`${r.id}: in docs/versioning.md but in no workflow (step 3 done? remove the row)`);
  for (const f of fixtureFolders) if (!byId.has(f.replace(/^before-/, ''))) problems.push(`test/histories/${f}/: no live patch of that id (delete it)`);
  return problems;
}

describe('patch registry (docs/versioning.md)', () => {
  it('the workflow code, the "Patches in flight" table and test/histories/before-*/ agree', () => {
    const dir = path.join(REPO, 'workflows');
    const calls = (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => findPatchCalls(`workflows/${f}`, readFileSync(path.join(dir, f), 'utf8')));
    const rows = readRegistry(readFileSync(path.join(REPO, 'docs', 'versioning.md'), 'utf8'));
    const folders = readdirSync(path.join(REPO, 'test', 'histories'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name.startsWith('before-'))
      .map((d) => d.name);
    expect(registryProblems(calls, rows, folders)).toEqual([]);
  });

  it('names what is missing: an unregistered patch, a wrong step, a fixture folder left behind, a computed id', () => {
    const source = [
      '// patched() in a comment is not a call',
      "if (patched('jitter')) await sleep(10);",
      "deprecatePatch('batching');",
      'patched(SOME_ID);',
    ].join('\n');
    const calls = findPatchCalls('workflows/x.ts', source);
    expect(calls).toEqual([
      { kind: 'patched', id: 'jitter', file: 'workflows/x.ts' },
      { kind: 'deprecatePatch', id: 'batching', file: 'workflows/x.ts' },
      { kind: 'patched', id: null, file: 'workflows/x.ts' },
    ]);
    const rows = readRegistry(
      [
        '## Patches in flight',
        '| patch id | workflow | change | step | since | removal condition |',
        '|---|---|---|---|---|---|',
        '| `batching` | eventWorkflow | batch | 1. patch | 2027-01-01 | none open before 2027-01-01 |',
        '| `gone` | eventWorkflow | old | 2. deprecate | 2026-12-01 | none open before 2026-12-01 |',
        '## Retired',
      ].join('\n'),
    );
    expect(rows).toEqual([
      { id: 'batching', step: '1. patch' },
      { id: 'gone', step: '2. deprecate' },
    ]);
    expect(registryProblems(calls, rows, ['before-batching', 'before-stale'])).toEqual([
      'workflows/x.ts: patched() needs a string literal id',
      'jitter: no row in docs/versioning.md "Patches in flight"',
      'batching: the code is at step "2. deprecate", docs/versioning.md says "1. patch"',
      'gone: in docs/versioning.md but in no workflow (step 3 done? remove the row)',
      'test/histories/before-stale/: no live patch of that id (delete it)',
    ]);
  });
});
