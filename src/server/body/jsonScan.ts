/**
 * One pass over a JSON text that JSON.parse already accepted, finding what JSON.parse hides:
 * how deep it nests (a hostile `[[[[…` must be refused before anything recursive, such as
 * JSON.stringify or Postgres' jsonb parser, sees it) and whether an object repeats a key
 * (JSON.parse keeps the last one, other parsers the first: a signed body two parsers read
 * differently is a hazard). Iterative, no recursion; keys are compared after unescaping, so
 * `"\u0065vent"` repeats `"event"`.
 */
export type JsonScanFinding =
  | { kind: 'too_deep'; maxDepth: number }
  | { kind: 'duplicate_key'; key: string; path: string };

interface Frame {
  /** Keys seen so far in an object (a list: objects are small; see `remember`); undefined for an array. */
  keys: string[] | Set<string> | undefined;
  /** The current member: the last key read (object) or the element index (array). */
  member: string | number;
}

export function scanJson(text: string, maxDepth: number): JsonScanFinding | undefined {
  const frames: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const top = frames[frames.length - 1];
      if (expectKey && top?.keys) {
        const key = keyAt(text, i, end);
        if (!remember(top, key)) return { kind: 'duplicate_key', key, path: memberPath(frames.slice(0, -1), key) };
        top.member = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (frames.length === maxDepth) return { kind: 'too_deep', maxDepth };
      const isObject = c === 0x7b;
      frames.push({ keys: isObject ? [] : undefined, member: isObject ? '' : 0 });
      expectKey = isObject;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1]!;
      if (top.keys) expectKey = true;
      else top.member = (top.member as number) + 1;
    }
  }
  return undefined;
}

/** Adds `key` to the object's keys; false if it was there. A list while small, then a Set. */
function remember(frame: Frame, key: string): boolean {
  const keys = frame.keys!;
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    keys.push(key);
    if (keys.length > 16) frame.keys = new Set(keys);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

/** Index of the closing quote of the string opening at `start` (a quote not escaped by a backslash). */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
}

function keyAt(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  // Only escaped keys need the parser's reading; the common case is a plain slice.
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}

/** `data.items.2.id`: the same dotted form as validation details' `field`. */
function memberPath(parents: Frame[], key: string): string {
  return [...parents.map((f) => String(f.member)), key].join('.');
}
