import { ForbiddenError } from '../../../src/errors';
import { authorize } from '../../../src/server/auth';

describe('authorize', () => {
  it('lets an admin through everywhere and a key only where its kind is named', () => {
    expect(() => authorize({ kind: 'admin' }, 'admin')).not.toThrow();
    expect(() => authorize({ kind: 'partner', partnerId: 'ptn_1', keyId: 'key_1' }, 'partner_or_tenant')).not.toThrow();
    expect(() => authorize({ kind: 'tenant', partnerId: 'ptn_1', tenantId: 'ten_1', keyId: 'key_2' }, 'partner')).toThrow(ForbiddenError);
  });

  it('says which kind of key the route needs, in English', () => {
    expect(() => authorize({ kind: 'partner', partnerId: 'ptn_1', keyId: 'key_1' }, 'admin')).toThrow('this route needs an admin key');
    expect(() => authorize({ kind: 'tenant', partnerId: 'ptn_1', tenantId: 'ten_1', keyId: 'key_2' }, 'partner')).toThrow('this route needs a partner key');
  });
});
