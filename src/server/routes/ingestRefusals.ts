import { NotFoundError, UnauthorizedError } from '../../errors';
import type { RejectionCode } from '../../signing/verifyInbound';

/**
 * The ingest refusals that carry their own rejection `reason` label (docs/ingest.md, "Order of
 * checks"); the body readers' errors carry theirs (`InvalidJsonBodyError`, `JsonShapeError`).
 */
export class UnknownPartnerError extends NotFoundError {
  readonly reason = 'unknown_partner';
  constructor() {
    super('partner');
  }
}

export class InvalidSignatureError extends UnauthorizedError {
  constructor(
    readonly reason: RejectionCode,
    message: string,
  ) {
    super(message, 'invalid_signature');
  }
}
