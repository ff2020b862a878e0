import { describeSendError, DestinationForbiddenError } from '../../../src/net/webhookHttpClient';

describe('describeSendError', () => {
  it('reads the name, code, message and the cause message', () => {
    const err = Object.assign(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }), { code: 'ECONNREFUSED' });
    expect(describeSendError(err)).toEqual({
      name: 'TypeError',
      code: 'ECONNREFUSED',
      message: 'fetch failed',
      causeMessage: 'connect ECONNREFUSED 127.0.0.1:9',
      forbidden: false,
    });
  });

  it('a refused destination is forbidden, thrown directly or as the cause (the DNS hook path)', () => {
    expect(describeSendError(new DestinationForbiddenError('127.0.0.1 is a private address')).forbidden).toBe(true);
    expect(describeSendError(new Error('connect failed', { cause: new DestinationForbiddenError('x') })).forbidden).toBe(true);
  });
});
