import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Bench only (bundled into the counting worker's workflow code by activationCounterPreload.ts):
 * reports each concluded workflow activation through a sink, so the worker's main thread can
 * count activations per event. concludeActivation runs once per activation, however many job
 * batches the activation was split into.
 */
export interface BenchActivationSinks extends Sinks {
  benchActivations: { concluded(): void };
}

const { benchActivations } = proxySinks<BenchActivationSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        benchActivations.concluded();
        return next(input);
      },
    },
  ],
});
