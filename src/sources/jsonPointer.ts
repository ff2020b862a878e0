/**
 * RFC 6901 JSON Pointer evaluation: no code, no wildcards, only object keys and array indexes.
 * A pointer that finds nothing says which token failed, so a dry run can name it.
 */
export type PointerResult = { found: true; value: unknown } | { found: false; at: string; message: string };

const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,8})$/;

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function resolvePointer(document: unknown, pointer: string): PointerResult {
  if (pointer === '') return { found: true, value: document };
  const tokens = pointer.slice(1).split('/').map(unescapeToken);
  let current: unknown = document;
  let walked = '';
  for (const [i, token] of tokens.entries()) {
    walked += '/' + pointer.slice(1).split('/')[i];
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(token) || Number(token) >= current.length) {
        return { found: false, at: walked, message: `${walked}: no element ${JSON.stringify(token)} in an array of ${current.length}` };
      }
      current = current[Number(token)];
    } else if (current !== null && typeof current === 'object') {
      if (!Object.prototype.hasOwnProperty.call(current, token)) {
        return { found: false, at: walked, message: `${walked}: no member ${JSON.stringify(token)}` };
      }
      current = (current as Record<string, unknown>)[token];
    } else {
      return { found: false, at: walked, message: `${walked}: cannot step into a ${current === null ? 'null' : typeof current}` };
    }
  }
  return { found: true, value: current };
}
