import { z } from 'zod';

/**
 * Payload filters: a small declarative JSON syntax modelled on Hookdeck Outpost's destination
 * filters (nested objects mirror the event; `$`-operators at the leaves; `$or`/`$and`/`$not`).
 * Outpost's form over Convoy's flat `"data.amount": {"$gte": …}` keys because a nested filter
 * reads like the event it matches and needs no escaping of dots in field names; the operator
 * names are the ones both products share. See docs/delivery.md "Payload filters".
 *
 * Bounds (checked on write, so planning never meets a filter it cannot evaluate cheaply): depth,
 * number of conditions, list and string sizes, and the size of the whole filter.
 */
export const FILTER_LIMITS = {
  maxDepth: 6,
  maxConditions: 50,
  maxInList: 100,
  maxStringLength: 256,
  maxKeyLength: 64,
  maxBytes: 8192,
} as const;

export const COMPARISON_OPERATORS = ['$eq', '$neq', '$gt', '$gte', '$lt', '$lte'] as const;
export const LIST_OPERATORS = ['$in', '$nin'] as const;
export const OTHER_OPERATORS = ['$startsWith', '$exist', '$not'] as const;
export const LOGICAL_OPERATORS = ['$or', '$and'] as const;

export type Scalar = string | number | boolean | null;
/** A filter as stored: a JSON object (validated and compiled by compileFilter). */
export type PayloadFilter = Record<string, unknown>;

export const PayloadFilterSchema = z
  .record(z.string(), z.unknown())
  .meta({
    id: 'PayloadFilter',
    description:
      'Deliver only events that match (Outpost-style JSON filter over {id, type, call_id, tenant_id, occurred_at, data, runtime_vars}). ' +
      'Nested objects follow the event; leaves are a value (equality; on an array field: contains) or operators ' +
      '$eq $neq $gt $gte $lt $lte $in $nin $startsWith $exist $not; $or / $and take lists of filters. ' +
      `Bounded: depth ${FILTER_LIMITS.maxDepth}, ${FILTER_LIMITS.maxConditions} conditions, ${FILTER_LIMITS.maxInList} values per list, ` +
      `strings ${FILTER_LIMITS.maxStringLength} chars, ${FILTER_LIMITS.maxBytes} bytes. {} or null removes the filter. Example: ` +
      '{"data": {"duration_seconds": {"$gte": 30}}, "runtime_vars": {"crm_account_id": {"$in": ["acc_1", "acc_2"]}}}',
    example: { data: { duration_seconds: { $gte: 30 } }, runtime_vars: { crm_account_id: { $in: ['acc_1', 'acc_2'] } } },
  });
