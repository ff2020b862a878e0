// Builds the console into console/dist: one ES module bundle (esbuild), the page and the style
// sheet. Run by `npm install` (the root `prepare` script) and `npm run console:build`; the API
// server serves the result under /console/. Output is git-ignored.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

export async function buildConsole() {
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'src', 'main.ts')],
    outfile: path.join(dist, 'app.js'),
    bundle: true,
    format: 'esm',
    target: ['chrome111', 'firefox111', 'safari16.4'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(path.join(here, 'index.html'), path.join(dist, 'index.html'));
  copyFileSync(path.join(here, 'app.css'), path.join(dist, 'app.css'));
  return dist;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildConsole();
  process.stdout.write(`console built into ${path.relative(process.cwd(), out) || out}\n`);
}
