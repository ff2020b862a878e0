import type { Request, Response } from 'express';
import type { Principal } from '../domain/principal';
import { randomText } from '../ids';

/**
 * Who did something and from where, as the audit log records it: the principal's kind and API key
 * id (never the key itself; the admin key has no id), the client address (Express's `req.ip`,
 * which honours `trust proxy`) and the request id the response carries in `X-Request-Id`.
 */
export interface AuditActor {
  kind: 'admin' | 'partner' | 'tenant' | 'operator_cli';
  keyId: string | null;
  clientIp: string | null;
  requestId: string | null;
}

/** A caller-supplied id is kept only when it is short and plain; anything else is replaced. */
const PLAIN_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the caller's `X-Request-Id` when plain, else a new `req_…`. */
export function requestIdOf(req: Request): string {
  const given = req.get('x-request-id');
  return given && PLAIN_REQUEST_ID.test(given) ? given : `req_${randomText(12)}`;
}

/** Middleware: every response names its request (`X-Request-Id`), which the audit log records. */
export function assignRequestId(req: Request, res: Response, next: () => void): void {
  const id = requestIdOf(req);
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}

export function actorOf(principal: Principal, req: Request, res?: Response): AuditActor {
  const requestId = (res?.locals.requestId as string | undefined) ?? (req.res?.locals.requestId as string | undefined) ?? null;
  return {
    kind: principal.kind,
    keyId: principal.kind === 'admin' ? null : principal.keyId,
    clientIp: req.ip ?? req.socket.remoteAddress ?? null,
    requestId,
  };
}

/** The operator CLI acts with direct database access, as no key: it is named as such. */
export const OPERATOR_CLI_ACTOR: AuditActor = { kind: 'operator_cli', keyId: null, clientIp: null, requestId: null };
