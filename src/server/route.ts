import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { authenticate, authorize, type AuthRequirement, type Principal } from './auth';
import type { AppContext } from './context';
import { registerOperation } from './openapi';

/**
 * Declares a JSON route once: the same zod schemas validate the request at run time, type the
 * handler, and describe the operation in /openapi.json.
 */
export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Express-style path (`/v1/tenants/:tenant_id`); rendered as `{tenant_id}` in OpenAPI. */
  path: string;
  summary: string;
  tag: string;
  auth: AuthRequirement;
  body?: B;
  query?: Q;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

export interface HandlerInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
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

/** zod issues -> `details` entries naming each field. */
export function issuesToDetails(error: z.ZodError): Array<{ field: string; message: string }> {
  return error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message }));
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error);
    throw new ValidationError(`invalid ${what}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
  }
  return parsed.data;
}

export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  router: Router,
  ctx: AppContext,
  spec: RouteSpec<B, Q>,
  handler: (input: HandlerInput<Infer<B>, Infer<Q>>) => Promise<HandlerResult>,
): void {
  registerOperation(spec);
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const principal: Principal = spec.auth === 'none' ? { kind: 'admin' } : await authenticate(ctx, req);
    authorize(principal, spec.auth);
    const body = (spec.body ? parseOrThrow(spec.body, req.body ?? {}, 'request body') : undefined) as Infer<B>;
    const query = (spec.query ? parseOrThrow(spec.query, req.query, 'query') : undefined) as Infer<Q>;
    const result = await handler({ body, query, params: req.params as Record<string, string>, principal, req, res });
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
    if (result.body === undefined) res.status(result.status).end();
    else res.status(result.status).json(result.body);
  });
}
