import { EventWriteBatcher, type WriteBatch } from '../../src/ingest/eventWriteBatcher';
import type { PersistInput, PersistResult } from '../../src/ingest/persistEvent';

/** A database whose statements finish only when the test says so; it records each statement's inputs. */
function heldDatabase() {
  const statements: { inputs: PersistInput[]; finish: () => void }[] = [];
  const writeBatch: WriteBatch = (inputs) =>
    new Promise<PersistResult[]>((resolve) => {
      statements.push({
        inputs,
        finish: () => resolve(inputs.map((i) => ({ eventId: i.callId, workflowId: i.workflowId, duplicate: false, workflowStarted: false }))),
      });
    });
  return { statements, writeBatch };
}

let n = 0;
function input(bodyBytes = 10): PersistInput {
  const callId = `c${++n}`;
  return { callId, workflowId: `wf-${callId}`, receipt: { sourceIp: null, headers: {}, body: 'x'.repeat(bodyBytes) } } as PersistInput;
}

const settle = () => new Promise((r) => setImmediate(r));

describe('EventWriteBatcher', () => {
  it('writes an event at once when idle, and queues arrivals for one shared statement while it runs', async () => {
    const db = heldDatabase();
    const writer = new EventWriteBatcher(db.writeBatch, { concurrency: 4, maxBatch: 100 });

    const first = writer.persist(input());
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1]);

    // Concurrency 4 allows more statements, but none is full: they wait for the one running.
    const rest = Array.from({ length: 10 }, () => writer.persist(input()));
    expect(db.statements).toHaveLength(1);

    db.statements[0]!.finish();
    await first;
    await settle();
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 10]);
    db.statements[1]!.finish();
    const results = await Promise.all(rest);
    expect(results.map((r) => r.eventId)).toEqual(db.statements[1]!.inputs.map((i) => i.callId));
  });

  it('opens another statement beside a running one only when a full batch waits, up to the concurrency', async () => {
    const db = heldDatabase();
    const writer = new EventWriteBatcher(db.writeBatch, { concurrency: 3, maxBatch: 5 });

    void writer.persist(input());
    for (let i = 0; i < 4; i++) void writer.persist(input());
    expect(db.statements).toHaveLength(1);

    void writer.persist(input()); // the fifth waiting: a full batch
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 5]);

    for (let i = 0; i < 12; i++) void writer.persist(input());
    // One more full batch starts (the third and last allowed); the other 7 wait.
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 5, 5]);

    db.statements[0]!.finish();
    await settle();
    // A slot frees: the next statement takes a full batch, and 2 remain queued behind the running ones.
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 5, 5, 5]);
  });

  it('opens another statement for requests that waited patienceMs behind a stuck one, full batch or not', async () => {
    jest.useFakeTimers();
    try {
      const db = heldDatabase();
      const writer = new EventWriteBatcher(db.writeBatch, { concurrency: 4, maxBatch: 100, patienceMs: 20 });

      void writer.persist(input()); // this statement never finishes
      for (let i = 0; i < 3; i++) void writer.persist(input());
      jest.advanceTimersByTime(19);
      expect(db.statements.map((s) => s.inputs.length)).toEqual([1]);

      jest.advanceTimersByTime(1);
      expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 3]);

      // Patience counts from the oldest waiting request, not from the last timer.
      jest.advanceTimersByTime(15);
      void writer.persist(input());
      jest.advanceTimersByTime(19);
      expect(db.statements).toHaveLength(2);
      jest.advanceTimersByTime(1);
      expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 3, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts a batch capped by body bytes as full', async () => {
    const db = heldDatabase();
    const writer = new EventWriteBatcher(db.writeBatch, { concurrency: 2, maxBatch: 100, maxBatchBytes: 2500 });

    void writer.persist(input(1000));
    void writer.persist(input(1000));
    void writer.persist(input(1000));
    expect(db.statements).toHaveLength(1);

    void writer.persist(input(1000)); // 3000 bytes waiting: more than one statement may take
    expect(db.statements.map((s) => s.inputs.length)).toEqual([1, 2]);
  });
});
