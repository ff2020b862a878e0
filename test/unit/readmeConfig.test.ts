import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Keeps the README's configuration table true: every variable config.ts reads is documented. */
describe('README configuration table', () => {
  it('documents every environment variable src/config.ts reads', () => {
    const root = path.resolve(__dirname, '../..');
    const config = readFileSync(path.join(root, 'src/config.ts'), 'utf8');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const schemaVars = [...config.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    const directVars = [...config.matchAll(/process\.env\['([A-Z0-9_]+)'\]/g)].map((m) => m[1]!).filter((v) => v !== 'XDG_CACHE_HOME');
    const all = [...new Set([...schemaVars, ...directVars])];
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((v) => !readme.includes('`' + v + '`'))).toEqual([]);
  });
});
