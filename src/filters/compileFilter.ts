import { COMPARISON_OPERATORS, FILTER_LIMITS, type PayloadFilter } from './filterSchema';

/**
 * Compiles a payload filter to a SQL/JSON path predicate (Postgres `jsonpath`), evaluated with
 * `jsonb_path_match(document, path, '{}', true)` where deliveries are planned: the filter runs in
 * the planning statement itself, so a filtered-out endpoint never gets a delivery row, and one
 * compiler is the whole semantics (the test route evaluates the same path the same way).
 *
 * The path uses no wildcards, no recursive descent and no filters over arrays: its work is linear
 * in its own length (bounded by FILTER_LIMITS) times the size of the fields it names.
 */
export class InvalidFilterError extends Error {
  override name = 'InvalidFilterError';
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(`${at || 'filter'}: ${message}`);
  }
}

interface Budget {
  conditions: number;
}

const COMPARISON_SYMBOL: Record<(typeof COMPARISON_OPERATORS)[number], string> = {
  $eq: '==',
  $neq: '!=',
  $gt: '>',
  $gte: '>=',
  $lt: '<',
  $lte: '<=',
};

/**
 * An upper bound on a compiled path's length, from the limits alone: every condition is one
 * field path (at most maxDepth quoted keys, each escaped at worst 6 characters per character)
 * and one literal (likewise), plus operators and parentheses. Planning's work per endpoint is
 * linear in it.
 */
export const MAX_COMPILED_LENGTH =
  FILTER_LIMITS.maxConditions * (1 + FILTER_LIMITS.maxDepth * (FILTER_LIMITS.maxKeyLength * 6 + 3) + FILTER_LIMITS.maxStringLength * 6 + 2 + 32);

/** null (or `{}`) means "no filter". Throws InvalidFilterError naming the offending place. */
export function compileFilter(filter: PayloadFilter | null | undefined): string | null {
  if (filter === null || filter === undefined) return null;
  if (!isPlainObject(filter)) throw new InvalidFilterError('', 'must be a JSON object');
  if (Object.keys(filter).length === 0) return null;
  const bytes = Buffer.byteLength(JSON.stringify(filter), 'utf8');
  if (bytes > FILTER_LIMITS.maxBytes) throw new InvalidFilterError('', `is ${bytes} bytes; at most ${FILTER_LIMITS.maxBytes}`);
  return compileObject(filter, [], 1, { conditions: 0 }, '');
}

function compileObject(node: Record<string, unknown>, path: string[], depth: number, budget: Budget, at: string): string {
  if (depth > FILTER_LIMITS.maxDepth) throw new InvalidFilterError(at, `nested deeper than ${FILTER_LIMITS.maxDepth}`);
  const entries = Object.entries(node);
  if (entries.length === 0) throw new InvalidFilterError(at, 'an empty object matches nothing; remove it');
  const parts = entries.map(([key, value]) => compileEntry(key, value, path, depth, budget, at ? `${at}.${key}` : key));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' && ')})`;
}

function compileEntry(key: string, value: unknown, path: string[], depth: number, budget: Budget, at: string): string {
  if (key === '$or' || key === '$and') return compileLogical(key, value, path, depth, budget, at);
  if (key.startsWith('$')) {
    if (path.length === 0) throw new InvalidFilterError(at, `${key} needs a field: put it under the field it tests`);
    return compileOperator(key, value, path, depth, budget, at);
  }
  if (key.length === 0 || key.length > FILTER_LIMITS.maxKeyLength) {
    throw new InvalidFilterError(at, `field names are 1 to ${FILTER_LIMITS.maxKeyLength} characters`);
  }
  assertStorable(key, at);
  const fieldPath = [...path, key];
  if (isPlainObject(value)) return compileObject(value, fieldPath, depth + 1, budget, at);
  if (Array.isArray(value)) throw new InvalidFilterError(at, 'a list is not a value to compare; use {"$in": [...]}');
  return comparison('==', fieldPath, scalar(value, at), budget, at);
}

function compileLogical(op: '$or' | '$and', value: unknown, path: string[], depth: number, budget: Budget, at: string): string {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidFilterError(at, `${op} takes a non-empty list of filters`);
  if (value.length > FILTER_LIMITS.maxInList) throw new InvalidFilterError(at, `${op} takes at most ${FILTER_LIMITS.maxInList} filters`);
  const parts = value.map((f, i) => {
    if (!isPlainObject(f)) throw new InvalidFilterError(`${at}[${i}]`, 'must be a filter object');
    return compileObject(f, path, depth + 1, budget, `${at}[${i}]`);
  });
  return `(${parts.join(op === '$or' ? ' || ' : ' && ')})`;
}

function compileOperator(op: string, value: unknown, path: string[], depth: number, budget: Budget, at: string): string {
  if (op in COMPARISON_SYMBOL) {
    if (op !== '$eq' && op !== '$neq' && typeof value !== 'number' && typeof value !== 'string') {
      throw new InvalidFilterError(at, `${op} compares numbers or strings`);
    }
    const v = scalar(value, at);
    if (op === '$neq') return `!(${comparison('==', path, v, budget, at)})`;
    return comparison(COMPARISON_SYMBOL[op as keyof typeof COMPARISON_SYMBOL], path, v, budget, at);
  }
  if (op === '$in' || op === '$nin') {
    if (!Array.isArray(value) || value.length === 0) throw new InvalidFilterError(at, `${op} takes a non-empty list of values`);
    if (value.length > FILTER_LIMITS.maxInList) throw new InvalidFilterError(at, `${op} takes at most ${FILTER_LIMITS.maxInList} values`);
    const any = `(${value.map((v, i) => comparison('==', path, scalar(v, `${at}[${i}]`), budget, at)).join(' || ')})`;
    return op === '$in' ? any : `!${any}`;
  }
  if (op === '$startsWith') {
    if (typeof value !== 'string') throw new InvalidFilterError(at, '$startsWith takes a string');
    spend(budget, at);
    return `${pathExpression(path)} starts with ${scalar(value, at)}`;
  }
  if (op === '$exist') {
    if (typeof value !== 'boolean') throw new InvalidFilterError(at, '$exist takes true or false');
    spend(budget, at);
    return value ? `exists(${pathExpression(path)})` : `!exists(${pathExpression(path)})`;
  }
  if (op === '$not') {
    if (!isPlainObject(value)) throw new InvalidFilterError(at, '$not takes an object of operators');
    return `!(${compileObject(value, path, depth + 1, budget, at)})`;
  }
  throw new InvalidFilterError(at, `unknown operator ${op} (known: $eq $neq $gt $gte $lt $lte $in $nin $startsWith $exist $not $or $and)`);
}

function comparison(symbol: string, path: string[], value: string, budget: Budget, at: string): string {
  spend(budget, at);
  return `${pathExpression(path)} ${symbol} ${value}`;
}

function spend(budget: Budget, at: string): void {
  budget.conditions++;
  if (budget.conditions > FILTER_LIMITS.maxConditions) throw new InvalidFilterError(at, `more than ${FILTER_LIMITS.maxConditions} conditions`);
}

/** `$."data"."duration_seconds"`: every key quoted, so no name is read as path syntax. */
function pathExpression(path: string[]): string {
  return '$' + path.map((k) => '.' + quote(k)).join('');
}

/** A jsonpath literal. JSON's escapes are jsonpath's; NaN and infinities never get here (JSON has none). */
function scalar(value: unknown, at: string): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidFilterError(at, 'numbers must be finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    if (value.length > FILTER_LIMITS.maxStringLength) throw new InvalidFilterError(at, `strings are at most ${FILTER_LIMITS.maxStringLength} characters`);
    assertStorable(value, at);
    return quote(value);
  }
  throw new InvalidFilterError(at, 'must be a string, number, boolean or null');
}

function quote(s: string): string {
  return JSON.stringify(s);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Postgres text holds no NUL and jsonpath refuses a lone surrogate escape: refused here, with a 422. */
function assertStorable(s: string, at: string): void {
  if (s.includes('\u0000') || LONE_SURROGATE.test(s)) throw new InvalidFilterError(at, 'contains a NUL character or an unpaired surrogate');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
