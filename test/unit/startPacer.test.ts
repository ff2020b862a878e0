import { StartPacer } from '../../src/outbox/startPacer';

/** How many of `n` concurrent take() calls got a place within a tick. */
async function placesTaken(pacer: StartPacer, n: number): Promise<number> {
  let taken = 0;
  for (let i = 0; i < n; i++) void pacer.take().then(() => taken++);
  await new Promise((r) => setImmediate(r));
  return taken;
}

describe('StartPacer (the outbox relay keeps its starts eager)', () => {
  it('gives out its places, then makes the next start wait', async () => {
    const pacer = new StartPacer(2);
    expect(await placesTaken(pacer, 3)).toBe(2);
  });

  it('an eager start keeps its place until its routing step reports; a non-eager one frees it at once', async () => {
    const pacer = new StartPacer(1);
    await pacer.take();
    pacer.startedHere('evt_1');
    expect(await placesTaken(pacer, 1)).toBe(0);
    pacer.finished('evt_1');
    await new Promise((r) => setImmediate(r));
    // The waiting start got the place; giving it back as "not here" frees it for the next.
    pacer.notHere();
    expect(await placesTaken(pacer, 1)).toBe(1);
  });

  it('a place whose routing step never reports here lapses after holdMs', async () => {
    const pacer = new StartPacer(1, 20);
    await pacer.take();
    pacer.startedHere('evt_lost');
    expect(await placesTaken(pacer, 1)).toBe(0);
    await new Promise((r) => setTimeout(r, 60));
    // The waiter woke when the hold lapsed (setImmediate above registered it before the lapse).
    expect(await placesTaken(pacer, 0)).toBe(0);
    pacer.notHere();
    expect(await placesTaken(pacer, 1)).toBe(1);
  });

  it('ignores a report for an event it does not hold (a replayed or foreign step)', async () => {
    const pacer = new StartPacer(1);
    pacer.finished('evt_unknown');
    expect(await placesTaken(pacer, 2)).toBe(1);
  });
});
