import { randomBytes } from 'node:crypto';

/**
 * Prefixed, sortable-enough random ids (`evt_…`, `ep_…`): the prefix tells an operator what a
 * pasted id is; 16 random bytes make collisions a non-concern.
 */
export type IdPrefix = 'ptn' | 'ten' | 'key' | 'rte' | 'ep' | 'evt' | 'dlv' | 'qtn' | 'rec' | 'inc' | 'sec' | 'ses' | 'plk' | 'aud' | 'src' | 'srr' | 'irf';

export function newId(prefix: IdPrefix): string {
  // Time prefix (ms, base36) keeps ids roughly ordered by creation, which helps index locality.
  const time = Date.now().toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomBytes(10).toString('base64url')}`;
}
