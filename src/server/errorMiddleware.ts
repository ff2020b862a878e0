import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, PayloadTooLargeError } from '../errors';
import type { Logger } from '../logger';

/** The JSON error body every 4xx/5xx uses: `{ "error": { "code", "message", "details" } }`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

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

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = err as { type?: string; status?: number; limit?: number; expose?: boolean; body?: unknown };
    // body-parser errors carry a `type`; translate them to our codes.
    if (e?.type === 'entity.too.large') err = new PayloadTooLargeError(e.limit ?? 0);
    else if (e?.type === 'entity.parse.failed') {
      err = new AppError('invalid_json', 400, 'request body is not valid JSON');
    } else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      err = new AppError('unsupported_media_type', 415, 'unsupported content encoding or charset');
    } else if (e?.type === 'request.aborted') {
      err = new AppError('bad_request', 400, 'request aborted by the client');
    } else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
      err = new AppError('bad_request', e.status, (err as Error).message);
    } else if (isDatabaseUnavailable(err)) {
      err = new AppError('unavailable', 503, 'database unavailable, retry later', undefined, 5);
    }

    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      if (err.status >= 500) logger.error({ err, path: req.path, code: err.code }, 'request failed');
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    logger.error({ err, path: req.path, method: req.method }, 'unhandled error');
    res.status(500).json(errorBody('internal', 'internal error'));
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route for ${req.method} ${req.path}`));
};
