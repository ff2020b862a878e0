import { ForbiddenError, NotFoundError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError } from '../../errors';
import type { SourceFailure } from '../../sources/sourceSchemas';

/** The refusals of source ingest that carry their own rejection `reason` label (docs/ingest.md). */
export class UnknownSourceError extends NotFoundError {
  readonly reason = 'unknown_source';
  constructor() {
    super('source');
  }
}

export class IpNotAllowedError extends ForbiddenError {
  readonly reason = 'ip_not_allowed';
}

export class SourceMediaTypeError extends UnsupportedMediaTypeError {
  readonly reason = 'unsupported_media_type';
}

/**
 * A verified body that does not map to an event (or maps to an invalid one): 422 naming the rule
 * and pointer that failed; the request is kept as a rejected receipt (`receipt_id`).
 */
export class UnmappableEventError extends ValidationError {
  readonly reason = 'unmappable';
  constructor(failure: SourceFailure, receiptId: string) {
    super(failure.message, [
      {
        field: failure.stage === 'mapping' ? `mapping.${failure.rule}` : (failure.rule ?? '(body)'),
        message: failure.message,
        code: failure.code,
        ...(failure.pointer !== undefined ? { pointer: failure.pointer } : {}),
        ...(failure.header !== undefined ? { header: failure.header } : {}),
        receipt_id: receiptId,
      },
    ]);
  }
}

/** Not verified by the source's scheme: 401 `invalid_signature`, `reason` the verifier's code. */
export class SourceVerificationError extends UnauthorizedError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message, 'invalid_signature');
  }
}
