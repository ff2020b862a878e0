import express, { type Request, type Response } from 'express';
import { AppError, PayloadTooLargeError } from '../errors';

/**
 * Reads the request body as raw bytes (signatures are over the exact bytes) inside the ingest
 * handler rather than as route middleware, so an oversized or unreadable body is refused by the
 * same code path that logs and counts every other refusal.
 */
export function rawBodyReader(limitBytes: number): (req: Request, res: Response) => Promise<Buffer> {
  const parse = express.raw({ type: () => true, limit: limitBytes });
  return (req, res) =>
    new Promise<Buffer>((resolve, reject) => {
      parse(req, res, (err?: unknown) => {
        if (err) reject(translate(err, limitBytes));
        else resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      });
    });
}

function translate(err: unknown, limitBytes: number): unknown {
  const e = err as { type?: string; status?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(limitBytes);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 415, 'unsupported content encoding or charset');
    case 'request.aborted':
      return new AppError('bad_request', 400, 'request aborted by the client');
    case 'request.size.invalid':
      return new AppError('bad_request', 400, 'request size did not match content-length');
    default:
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
        return new AppError('bad_request', e.status, e.message ?? 'unreadable request body');
      }
      return err;
  }
}
