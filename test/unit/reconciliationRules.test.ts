import { assessMismatch } from '../../src/domain/incidentSeverity';
import { mergeTally, sumTally } from '../../src/domain/reconciliationTally';
import { scheduledWindow } from '../../src/domain/reconciliationWindow';
import { isTerminalCallStatus, terminalCallState, terminalEventTypeFor } from '../../src/domain/terminalCallStatus';

describe('scheduledWindow', () => {
  it('is the last whole UTC day that ended at least the lag before the scheduled time', () => {
    expect(scheduledWindow(new Date('2025-05-10T03:00:00Z'), 2 * 3_600_000)).toEqual({ from: '2025-05-09T00:00:00.000Z', to: '2025-05-10T00:00:00.000Z' });
    // 01:00 with a 2 h lag: yesterday is not settled yet, so the day before.
    expect(scheduledWindow(new Date('2025-05-10T01:00:00Z'), 2 * 3_600_000)).toEqual({ from: '2025-05-08T00:00:00.000Z', to: '2025-05-09T00:00:00.000Z' });
  });
});

describe('assessMismatch', () => {
  it('raises strictly above the threshold', () => {
    expect(assessMismatch(100, 3, 0.01)).toMatchObject({ exceeds: true, ratio: 0.03, severity: 'warning' });
    expect(assessMismatch(100, 3, 0.05).exceeds).toBe(false);
    expect(assessMismatch(100, 1, 0.01).exceeds).toBe(false);
    expect(assessMismatch(0, 0, 0.01).exceeds).toBe(false);
    expect(assessMismatch(100, 10, 0.01).severity).toBe('major'); // 10x the threshold
    expect(assessMismatch(100, 30, 0.01).severity).toBe('critical'); // 30x
    expect(assessMismatch(100, 60, 0.01).severity).toBe('critical');
  });
});

describe('terminalCallState', () => {
  it('judges a call by its terminal event', () => {
    expect(terminalCallState(null)).toBe('never_received');
    expect(terminalCallState({ status: 'delivered', workflowStarted: true })).toBe('reconciled');
    expect(terminalCallState({ status: 'quarantined', workflowStarted: true })).toBe('reconciled');
    expect(terminalCallState({ status: 'no_subscribers', workflowStarted: true })).toBe('reconciled');
    expect(terminalCallState({ status: 'partially_delivered', workflowStarted: true })).toBe('dead_lettered');
    expect(terminalCallState({ status: 'received', workflowStarted: false })).toBe('never_started');
    expect(terminalCallState({ status: 'delivering', workflowStarted: true })).toBe('unfinished');
  });
  it('maps call-log statuses', () => {
    expect(terminalEventTypeFor('failed')).toBe('call.failed');
    expect(terminalEventTypeFor('no_answer')).toBe('call.failed');
    expect(terminalEventTypeFor('ended')).toBe('call.ended');
    expect(isTerminalCallStatus('completed')).toBe(true);
    expect(isTerminalCallStatus('in_progress')).toBe(false);
  });
});

describe('tally', () => {
  it('sums pages per partner and keeps at most 10 samples', () => {
    const page = (n: number) => ({ p: { terminal: n, processed: n - 1, missing: 1, inFlight: 0, replayed: 1, failed: 0, samples: Array.from({ length: 6 }, (_, i) => `c${n}-${i}`) } });
    const t = mergeTally(mergeTally({}, page(5)), page(7));
    expect(t['p']).toMatchObject({ terminal: 12, processed: 10, missing: 2, replayed: 2 });
    expect(t['p']!.samples).toHaveLength(10);
    expect(sumTally(t)).toMatchObject({ terminal: 12, missing: 2 });
  });
});
