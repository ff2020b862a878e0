import { compileFilter, InvalidFilterError } from '../../../src/filters/compileFilter';
import { FILTER_LIMITS } from '../../../src/filters/filterSchema';

describe('compileFilter (payload filter -> SQL/JSON path)', () => {
  it.each([
    [{ data: { duration_seconds: { $gte: 30 } } }, '$."data"."duration_seconds" >= 30'],
    [{ runtime_vars: { crm_account_id: { $in: ['a', 'b'] } } }, '($."runtime_vars"."crm_account_id" == "a" || $."runtime_vars"."crm_account_id" == "b")'],
    [{ type: 'call.ended', data: { ok: true } }, '($."type" == "call.ended" && $."data"."ok" == true)'],
    [{ data: { status: { $neq: 'x' } } }, '!($."data"."status" == "x")'],
    [{ data: { status: { $nin: ['x'] } } }, '!($."data"."status" == "x")'],
    [{ data: { gone: { $exist: false } } }, '!exists($."data"."gone")'],
    [{ data: { email: { $startsWith: 'ops@' } } }, '$."data"."email" starts with "ops@"'],
    [{ $or: [{ type: 'a' }, { data: { n: { $lt: 2 } } }] }, '($."type" == "a" || $."data"."n" < 2)'],
    [{ data: { n: { $not: { $gt: 1, $lte: 5 } } } }, '!(($."data"."n" > 1 && $."data"."n" <= 5))'],
    [{ 'odd "key".$x': null }, '$."odd \\"key\\".$x" == null'],
  ])('%j compiles to %s', (filter, path) => {
    expect(compileFilter(filter)).toBe(path);
  });

  it('{} and null mean no filter', () => {
    expect(compileFilter({})).toBeNull();
    expect(compileFilter(null)).toBeNull();
  });

  it.each([
    [{ data: { n: { $regex: 'a' } } }, /unknown operator \$regex/],
    [{ $gte: 1 }, /needs a field/],
    [{ data: { tags: ['a'] } }, /use \{"\$in"/],
    [{ data: { n: { $gt: true } } }, /compares numbers or strings/],
    [{ data: { n: { $in: [] } } }, /non-empty list/],
    [{ data: {} }, /empty object/],
    [{ $or: [] }, /non-empty list of filters/],
    [{ data: { n: { $exist: 'yes' } } }, /true or false/],
    [{ data: { s: 'a\u0000b' } }, /NUL/],
    [{ data: { s: '\ud800' } }, /unpaired surrogate/],
    [{ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } }, /nested deeper/],
    [{ data: { n: { $in: Array.from({ length: FILTER_LIMITS.maxInList + 1 }, (_, i) => i) } } }, /at most/],
    [{ $and: Array.from({ length: FILTER_LIMITS.maxConditions + 1 }, (_, i) => ({ data: { n: i } })) }, /more than 50 conditions/],
  ])('%j is refused (%s)', (filter, message) => {
    expect(() => compileFilter(filter as Record<string, unknown>)).toThrow(InvalidFilterError);
    expect(() => compileFilter(filter as Record<string, unknown>)).toThrow(message);
  });
});
