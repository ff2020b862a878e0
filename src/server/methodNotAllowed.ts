import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../errors';
import { documentedOperations } from './openapi';

interface PathMethods {
  pattern: RegExp;
  allowed: string[];
}

/** Documented path templates as the router matches them: case-insensitive, optional trailing slash. */
function pathTable(): PathMethods[] {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of documentedOperations()) {
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(method.toUpperCase());
    if (method === 'get') methods.add('HEAD'); // Express answers HEAD for every GET route
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(`^${path.replace(/[.+*?^$()|[\]\\]/g, '\\$&').replace(/\{[A-Za-z_]+\}/g, '[^/]+')}/?$`, 'i'),
    allowed: [...methods].sort(),
  }));
}

/**
 * Reached only when no route took the request: a method the path does not document (TRACE, PUT,
 * QUERY, …) is a 405 naming the allowed ones in `Allow` (RFC 9110), not a 404 that would say
 * the path does not exist. OPTIONS is answered by the router itself, with the same Allow list.
 */
export function methodNotAllowed(): RequestHandler {
  let table: PathMethods[] | undefined;
  return (req, _res, next) => {
    table ??= pathTable();
    const allowed = [...new Set(table.filter((p) => p.pattern.test(req.path)).flatMap((p) => p.allowed))].sort();
    if (allowed.length === 0 || allowed.includes(req.method)) return next();
    next(new MethodNotAllowedError(req.method, req.path, allowed));
  };
}
