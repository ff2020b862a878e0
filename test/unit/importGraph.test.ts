import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The layering the README's folder table describes, checked on the source itself: relative
 * imports only (packages are not layers), read as text so the check needs no build.
 */
const ROOT = join(__dirname, '../..');
const LAYERS = ['src', 'workflows', 'activities'];

interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [normalize(path)] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = normalize(join(dirname(from), spec));
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(join(ROOT, candidate)));
}

const IMPORT = /^(?:import|export)\s+(type\s+)?[^;]*?\s+from\s+'([^']+)'/gms;

function importEdges(): ImportEdge[] {
  return LAYERS.flatMap(sourceFiles).flatMap((from) =>
    [...readFileSync(join(ROOT, from), 'utf8').matchAll(IMPORT)].flatMap((m) => {
      const to = resolveImport(from, m[2]!);
      return to ? [{ from, to, typeOnly: Boolean(m[1]) }] : [];
    }),
  );
}

/** The files on some import cycle (any strongly connected component of more than one file). */
function filesOnCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('import graph', () => {
  const edges = importEdges();
  const rel = (p: string) => relative('.', p);

  it('reads the tree (the check is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from.startsWith('workflows/') && e.to.startsWith('activities/'))).toBe(true);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(filesOnCycles(edges)).toEqual([]);
  });

  it('workflows import only types from activities', () => {
    const valueImports = edges.filter((e) => e.from.startsWith('workflows/') && e.to.startsWith('activities/') && !e.typeOnly);
    expect(valueImports.map((e) => `${rel(e.from)} → ${rel(e.to)}`)).toEqual([]);
  });

  it('nothing outside src/server imports it, except the CLI action that starts the server', () => {
    const inward = edges.filter((e) => e.to.startsWith('src/server/') && !e.from.startsWith('src/server/'));
    expect(inward.map((e) => `${rel(e.from)} → ${rel(e.to)}`)).toEqual(['src/cli/processCommands.ts → src/server/startServer.ts']);
  });

  it('the domain imports nothing but the domain', () => {
    const outward = edges.filter((e) => e.from.startsWith('src/domain/') && !e.to.startsWith('src/domain/'));
    expect(outward.map((e) => `${rel(e.from)} → ${rel(e.to)}`)).toEqual([]);
  });
});
