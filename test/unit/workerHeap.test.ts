import { workerProcessEnv } from '../../src/temporal/workerHeap';

describe('the environment launchers give switchboard worker', () => {
  it('keeps two malloc arenas unless the operator chose a number', () => {
    expect(workerProcessEnv({})).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(workerProcessEnv({ MALLOC_ARENA_MAX: '8' })).toEqual({ MALLOC_ARENA_MAX: '8' });
  });
});
