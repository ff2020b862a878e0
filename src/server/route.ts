import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { AppError, ValidationError } from '../errors';
import { authenticate, authorize, type AuthRequirement, type Principal } from './auth';
import { readJsonBody } from './body/readJsonBody';
import type { AppContext } from './context';
import { registerOperation } from './openapi';

/** The general limit of admin API bodies (ingest and call-log uploads have their own). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Declares a JSON route once: the same zod schemas validate the request at run time, type the
 * handler, and describe the operation in /openapi.json.
 */
export interface RouteSpec<P extends z.ZodType | undefined, B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path (`/v1/tenants/:tenant_id`); rendered as `{tenant_id}` in OpenAPI. */
  path: string;
  summary: string;
  /** Rules the schemas cannot say (cross-field, scope), for the document. */
  description?: string;
  tag: string;
  auth: AuthRequirement;
  /** Every path parameter; one that does not match is a 404 (it cannot name anything). */
  params?: P;
  /** A body whose every field is optional may be omitted (the document marks it optional). */
  body?: B;
  bodyLimitBytes?: number;
  query?: Q;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface HandlerInput<P, B, Q> {
  params: P;
  body: B;
  query: Q;
  principal: Principal;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

/** zod issues -> `details` entries naming each field (an unknown field is named too). */
export function issuesToDetails(error: z.ZodError): Array<{ field: string; message: string }> {
  return error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((key) => ({ field: [...i.path, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: i.path.length ? i.path.join('.') : '(body)', message: i.message }];
  });
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    throw new ValidationError(`invalid ${what}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return parsed.data;
}

/** Path parameters that cannot name a resource: 404 like any other absent resource, saying why. */
export function parsePathOrThrow<T extends z.ZodType>(schema: T, params: unknown): z.infer<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    throw new AppError('not_found', 404, `not found: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
  }
  return parsed.data;
}

/** No body at all reads as `{}` (so an all-optional body may be left out); a JSON `null` does not. */
function absentAsEmpty(body: unknown): unknown {
  return body === undefined ? {} : body;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(router: Router, ctx: AppContext, spec: RouteSpec<P, B, Q>, handler: (input: HandlerInput<Infer<P>, Infer<B>, Infer<Q>>) => Promise<HandlerResult>): void {
  registerOperation({ ...spec, bodyLimitBytes: spec.body ? (spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES) : undefined });
  const bodyLimitBytes = spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    // Who first (an unauthenticated caller learns nothing else), then the cheap checks, then the body.
    const principal: Principal = spec.auth === 'none' ? { kind: 'admin' } : await authenticate(ctx, req);
    authorize(principal, spec.auth);
    const params = (spec.params ? parsePathOrThrow(spec.params, req.params) : undefined) as Infer<P>;
    const query = (spec.query ? parseOrThrow(spec.query, req.query, 'query') : undefined) as Infer<Q>;
    const body = (spec.body ? parseOrThrow(spec.body, absentAsEmpty(await readJsonBody(req, bodyLimitBytes)), 'request body') : undefined) as Infer<B>;
    const result = await handler({ params, body, query, principal, req, res });
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if (result.body === undefined) res.status(result.status).end();
    else res.status(result.status).json(result.body);
  });
}
