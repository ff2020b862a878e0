/**
 * Typed errors shared by the HTTP layer (one error middleware maps them to status codes) and the
 * activities (mapped to ApplicationFailure with an explicit nonRetryable flag).
 */
export const ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'validation_failed',
  'unauthorized',
  'invalid_signature',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'request_timeout',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'rate_limited',
  'overloaded',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, details?: unknown, code: ErrorCode = 'bad_request') {
    super(code, 400, message, details);
  }
}
export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', 422, message, details);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid API key', code: ErrorCode = 'unauthorized') {
    super(code, 401, message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'this key may not perform that operation') {
    super('forbidden', 403, message);
  }
}
export class NotFoundError extends AppError {
  constructor(what: string, details?: unknown) {
    super('not_found', 404, `${what} not found`, details);
  }
}
export class MethodNotAllowedError extends AppError {
  constructor(
    method: string,
    path: string,
    readonly allowed: readonly string[],
  ) {
    super('method_not_allowed', 405, `${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, { allowed });
  }
}
export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super('conflict', 409, message, details);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super('payload_too_large', 413, `request body exceeds ${limit} bytes`, { limit_bytes: limit });
  }
}
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string) {
    super('unsupported_media_type', 415, message, { accepted: ['application/json', 'application/*+json'], charset: 'utf-8' });
  }
}
export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 429, 'rate limit exceeded', undefined, retryAfterSeconds);
  }
}
export class OverloadedError extends AppError {
  constructor(message: string, retryAfterSeconds = 5) {
    super('overloaded', 503, message, undefined, retryAfterSeconds);
  }
}
export class UnavailableError extends AppError {
  constructor(message: string, retryAfterSeconds = 5) {
    super('unavailable', 503, message, undefined, retryAfterSeconds);
  }
}
