import { ConfigError, loadConfig } from '../../src/config';
import { addToTally, advance, isDone, PURGE_TARGETS, retentionCutoffs } from '../../src/domain/retentionPlan';

describe('retention plan', () => {
  const now = Date.parse('2025-03-31T04:30:00.000Z');

  it('puts the cutoff one window before now, and the rate-window cutoff a minute before now in epoch seconds', () => {
    const c = retentionCutoffs(now, 30 * 86_400_000);
    expect(c.before).toBe('2025-03-01T04:30:00.000Z');
    expect(c.rateWindowBefore).toBe(Math.floor(Date.parse('2025-03-31T04:29:00.000Z') / 1000));
  });

  it('refuses a window under an hour (a bare number is milliseconds)', () => {
    expect(() => retentionCutoffs(now, 30)).toThrow(RangeError);
    expect(() => retentionCutoffs(now, Number.NaN)).toThrow(RangeError);
    expect(retentionCutoffs(now, 3_600_000).before).toBe('2025-03-31T03:30:00.000Z');
  });

  it('moves to the next table only after a short batch', () => {
    expect(advance({ target: 2 }, 5_000, 5_000)).toEqual({ target: 2 });
    expect(advance({ target: 2 }, 4_999, 5_000)).toEqual({ target: 3 });
    expect(advance({ target: 2 }, 0, 5_000)).toEqual({ target: 3 });
    expect(isDone({ target: PURGE_TARGETS.length - 1 })).toBe(false);
    expect(isDone(advance({ target: PURGE_TARGETS.length - 1 }, 0, 10))).toBe(true);
  });

  it('purges a run only after its replays and incidents (foreign-key order)', () => {
    const at = (t: (typeof PURGE_TARGETS)[number]) => PURGE_TARGETS.indexOf(t);
    expect(at('reconciliation_replays')).toBeLessThan(at('reconciliation_runs'));
    expect(at('incidents')).toBeLessThan(at('reconciliation_runs'));
    expect(PURGE_TARGETS).not.toContain('events');
    expect(PURGE_TARGETS).not.toContain('deliveries');
  });

  it('tallies deleted rows per table, leaving empty tables out', () => {
    let t = addToTally({}, 'receipts', 5_000);
    t = addToTally(t, 'receipts', 12);
    t = addToTally(t, 'incidents', 0);
    expect(t).toEqual({ receipts: 5_012 });
  });
});

describe('retention config', () => {
  it('defaults to 30 days, purged daily at 04:30 UTC in batches of 5,000', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://x/y' }).retention;
    expect(c).toEqual({
      windowMs: 30 * 86_400_000,
      cron: '30 4 * * *',
      timezone: 'UTC',
      scheduleId: 'switchboard-retention',
      batchSize: 5_000,
      batchesPerRun: 100,
    });
  });

  it('refuses RETENTION=30 (30 ms) as a probable typo', () => {
    expect(() => loadConfig({ RETENTION: '30' })).toThrow(ConfigError);
    expect(() => loadConfig({ RETENTION: '30' })).toThrow(/RETENTION/);
    expect(loadConfig({ RETENTION: '7d' }).retention.windowMs).toBe(7 * 86_400_000);
  });
});
