import type { RequestHandler } from 'express';
import { BadRequestError } from '../errors';

/**
 * A path with malformed percent-encoding (`/v1/webhooks/%zz`, `%ff` alone) cannot name anything;
 * it is a 400 before any route, authentication or lookup runs (the router would otherwise throw
 * a URIError while decoding the parameter). One decode of a short string per request.
 */
export const rejectUndecodablePath: RequestHandler = (req, _res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    return next(new BadRequestError('the request path is not valid percent-encoding (e.g. %zz, or a byte sequence that is not UTF-8)'));
  }
  next();
};
