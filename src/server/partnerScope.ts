import { ForbiddenError } from '../errors';
import type { Principal } from './auth';

/**
 * The partner a request may act on: an admin any (or all, when none is named), a partner key only
 * its own. Tenant keys never reach here (the routes require a partner or admin key).
 */
export function partnerScope(principal: Principal, requested: string | null | undefined): string | null {
  if (principal.kind === 'admin') return requested ?? null;
  if (principal.kind === 'partner') {
    if (requested && requested !== principal.partnerId) throw new ForbiddenError('a partner key may only act on its own partner');
    return principal.partnerId;
  }
  throw new ForbiddenError('this route needs a partner or admin key');
}
