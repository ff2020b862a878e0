import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, BadRequestError, MethodNotAllowedError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import type { Logger } from '../logger';
import { hasRequestBody } from './body/jsonContentType';
import { errorBody } from './errorBody';

/** Postgres unreachable / pool exhausted: a 503 with Retry-After, never a 2xx or a crash. */
function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ECONNRESET' ||
    e?.code === '57P01' || // admin_shutdown
    e?.code === '57P03' || // cannot_connect_now
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(e?.message ?? '')
  );
}

/** Errors thrown by Express, the router or body-parser, in our terms. */
function translate(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; limit?: number; expose?: boolean };
  // The router decodes path parameters; `%zz` or `%ff` is malformed percent-encoding.
  if (err instanceof URIError) return new BadRequestError('the request path is not valid percent-encoding');
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? 0);
  if (e?.type === 'entity.parse.failed') return new AppError('invalid_json', 400, 'request body is not valid JSON');
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new UnsupportedMediaTypeError('unsupported content encoding or charset');
  }
  if (e?.type === 'request.aborted') return new BadRequestError('request aborted by the client');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return new AppError('bad_request', e.status, (err as Error).message);
  }
  if (isDatabaseUnavailable(err)) return new AppError('unavailable', 503, 'database unavailable, retry later', undefined, 5);
  return err;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (caught, req, res, _next) => {
    const err = translate(caught);
    if (res.headersSent) {
      // Too late for an answer: end the exchange rather than append to what was sent.
      res.destroy();
      return;
    }
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      if (err instanceof MethodNotAllowedError) res.setHeader('Allow', err.allowed.join(', '));
      // A body refused before it was all read: close the connection rather than drain the rest
      // (a declared megabyte that never comes, or a reader stopped at its limit).
      if (hasRequestBody(req.headers) && !req.complete) res.setHeader('Connection', 'close');
      if (err.status >= 500) logger.error({ err, path: req.path, code: err.code }, 'request failed');
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    logger.error({ err, path: req.path, method: req.method }, 'unhandled error');
    res.status(500).json(errorBody('internal', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', 404, `no route for ${req.method} ${req.path}`));
};
