import { NotFoundError } from '../../errors';

/**
 * A resource id from the URL path. Ids are short ASCII; anything else (overlong, NUL bytes that
 * Postgres text would reject with a 500) cannot name a resource, so it is a plain 404.
 */
export function pathId(params: Record<string, string>, name: string, what: string): string {
  const value = params[name];
  if (!value || value.length > 64 || value.includes('\u0000')) throw new NotFoundError(what);
  return value;
}
