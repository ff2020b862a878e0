import { z } from 'zod';
import { DeliveryId } from '../idSchemas';

/**
 * Where a page of the delivery log ended. The log is ordered by last activity (`updated_at`, then
 * id), which an id alone cannot resume: the row it names may have moved since. So the cursor
 * carries the position itself, `updated_at` to the microsecond as Postgres stores it (a JS Date
 * would round it to the millisecond and skip the rows of that millisecond) and the id that breaks
 * ties. Opaque on the wire (base64url of JSON): callers pass `next_after` back, never build one.
 */
export interface DeliveryPosition {
  /** ISO 8601, UTC, six fractional digits. */
  at: string;
  id: string;
}

const Position = z.tuple([z.iso.datetime({ precision: 6 }), DeliveryId]);

const NOT_A_CURSOR = 'must be the next_after of a previous page';

export function encodeDeliveryCursor(p: DeliveryPosition): string {
  return Buffer.from(JSON.stringify([p.at, p.id])).toString('base64url');
}

function decodeDeliveryCursor(cursor: string): DeliveryPosition | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = Position.safeParse(json);
  return parsed.success ? { at: parsed.data[0], id: parsed.data[1] } : null;
}

/** The `after` query parameter: a cursor in, its position out (a bad one is a 422 naming it). */
export const DeliveryCursorParam = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/, NOT_A_CURSOR)
  .transform((cursor, ctx) => {
    const position = decodeDeliveryCursor(cursor);
    if (position) return position;
    ctx.addIssue({ code: 'custom', message: NOT_A_CURSOR });
    return z.NEVER;
  })
  .meta({ description: 'Cursor: the `next_after` of the previous page (opaque)' });
