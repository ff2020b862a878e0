import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/**
 * The console's static files (built by `console/build.mjs` into console/dist at `npm install`),
 * served under /console/ with a strict Content-Security-Policy: scripts, styles, images and
 * fetches from this origin only, no inline script or style, no frames, no plugins, no external
 * request of any kind. The console talks to the public API on the same origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** console/dist next to the nearest package.json above this file (the checkout, or /app in the image). */
export function consoleDistDir(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'console', 'dist');
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve('console', 'dist');
    dir = parent;
  }
}

export function consoleAssets() {
  const dist = consoleDistDir();
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/console') return res.redirect(308, '/console/');
    if (!req.path.startsWith('/console/')) return next();
    const name = req.path === '/console/' ? 'index.html' : req.path.slice('/console/'.length);
    // Only plain file names the build writes: no directories, no dot files, no traversal.
    const type = TYPES[path.extname(name)];
    if (!/^[A-Za-z0-9_-]+\.[a-z0-9]+$/.test(name) || !type) return next();
    const file = path.join(dist, name);
    if (!existsSync(file)) {
      if (name === 'index.html') return void res.status(503).type('text/plain').send('The console is not built: run `npm run console:build` (npm install does it).\n');
      return next();
    }
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(type).send(readFileSync(file));
  };
}
