import { decideTenant, resolutionKeys, type KeyLookup } from '../../src/domain/tenantResolution';

const key = (kind: KeyLookup['key']['kind'], value: string) => ({ kind, value });

describe('tenant resolution rules', () => {
  it('collects every key the event carries, in a stable order', () => {
    expect(
      resolutionKeys({
        voice_session_id: 'vs',
        call_id: 'c',
        tenant_id: 't',
        runtime_vars: { partner_tenant_ref: 'r', crm_account_id: 'crm' },
      }),
    ).toEqual([key('tenant_id', 't'), key('crm_account_id', 'crm'), key('partner_tenant_ref', 'r'), key('call_id', 'c'), key('voice_session_id', 'vs')]);
    expect(resolutionKeys({})).toEqual([]);
  });

  it('all keys agreeing resolve, reporting which keys matched', () => {
    expect(
      decideTenant([
        { key: key('crm_account_id', 'a'), tenantId: 'ten_1' },
        { key: key('call_id', 'c'), tenantId: 'ten_1' },
        { key: key('voice_session_id', 'v'), tenantId: null },
      ]),
    ).toEqual({ outcome: 'resolved', tenantId: 'ten_1', via: ['crm_account_id', 'call_id'] });
  });

  it('two keys pointing at different tenants are a conflict, never a guess', () => {
    const d = decideTenant([
      { key: key('crm_account_id', 'a'), tenantId: 'ten_1' },
      { key: key('partner_tenant_ref', 'b'), tenantId: 'ten_2' },
    ]);
    expect(d).toMatchObject({ outcome: 'conflict', reason: 'conflicting_keys' });
  });

  it("a tenant_id of another partner is a conflict even when other keys agree", () => {
    const d = decideTenant([
      { key: key('tenant_id', 'ten_x'), tenantId: null, foreign: true },
      { key: key('crm_account_id', 'a'), tenantId: 'ten_1' },
    ]);
    expect(d).toMatchObject({ outcome: 'conflict', reason: 'foreign_tenant' });
  });

  it('no key known yet: unresolved (the workflow waits, then quarantines as unroutable)', () => {
    expect(decideTenant([{ key: key('call_id', 'c'), tenantId: null }])).toEqual({ outcome: 'unresolved', keys: [key('call_id', 'c')] });
    expect(decideTenant([])).toEqual({ outcome: 'unresolved', keys: [] });
  });
});
