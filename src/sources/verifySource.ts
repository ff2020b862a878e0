import type { SourceVerification } from './sourceSchemas';
import { verifyBasic, verifyToken } from './verifiers/credentials';
import { verifyHmac } from './verifiers/hmac';
import { verifyStandardWebhooks, verifyXSignature } from './verifiers/standardWebhooks';
import { verifyTwilio } from './verifiers/twilio';
import { refuse, type SourceVerdict, type VerifyInput } from './verifiers/verdict';

export type { SourceVerdict, VerifyInput } from './verifiers/verdict';

/** Verifies a request against a source's scheme and any of its active secrets (two during a rotation). Pure. */
export function verifySource(verification: SourceVerification, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  if (secrets.length === 0) return refuse('no_active_secret', 'the source has no active secret');
  switch (verification.scheme) {
    case 'standard_webhooks':
      return verifyStandardWebhooks(verification, secrets, input);
    case 'x_signature':
      return verifyXSignature(verification, secrets, input);
    case 'hmac':
      return verifyHmac(verification, secrets, input);
    case 'basic':
      return verifyBasic(verification, secrets, input);
    case 'token':
      return verifyToken(verification, secrets, input);
    case 'twilio':
      return verifyTwilio(secrets, input);
  }
}
