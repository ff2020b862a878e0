import type { Request } from 'express';
import { constantTimeEqual } from '../crypto/apiKeys';
import { findLiveSession, type LiveSession } from '../console/sessions';
import { sessionTokenFromCookieHeader } from '../console/sessionCookie';
import { CSRF_HEADER } from '../console/sessionPolicy';
import type { Principal } from '../domain/principal';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { AppContext } from './context';

/** The session each cookie-authenticated request was judged by (for sign-out and "who am I"). */
const sessionOfRequest = new WeakMap<Request, LiveSession>();

export function sessionTokenOf(req: Request): string | undefined {
  return sessionTokenFromCookieHeader(req.headers.cookie);
}

export function requestSession(req: Request): LiveSession | undefined {
  return sessionOfRequest.get(req);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie authentication for the console. Every state change must carry the session's CSRF token
 * in `X-CSRF-Token` (a synchronizer token kept server-side: a cross-site form or fetch cannot read
 * it, and cannot set a custom header without a CORS preflight this server never grants), and an
 * Origin header, when the browser sends one, must be this server's own.
 */
export async function authenticateSession(ctx: AppContext, req: Request, token: string): Promise<Principal> {
  const session = await findLiveSession(ctx.db, token);
  if (!session) throw new UnauthorizedError('console session expired, signed out or revoked: sign in again');
  if (!SAFE_METHODS.has(req.method)) assertSameOriginChange(req, session);
  sessionOfRequest.set(req, session);
  return session.principal;
}

function assertSameOriginChange(req: Request, session: LiveSession): void {
  if (!isSameOrigin(req)) throw new ForbiddenError('cross-origin request refused for a cookie-authenticated change');
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !constantTimeEqual(sent, session.csrfToken)) {
    throw new ForbiddenError('missing or wrong X-CSRF-Token for a cookie-authenticated change');
  }
}

/** No Origin (a non-browser client) passes; a browser's Origin must name this host. */
export function isSameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
