import type { Services } from '../src/services';

/** What every activity may use: the worker's Services (src/services.ts), built once per worker process. */
export type ActivityDeps = Services;
