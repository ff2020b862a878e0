/** The workflow bundle's entry point: every workflow type the worker registers. */
export { eventWorkflow } from './eventWorkflow';
export { deliveryWorkflow } from './deliveryWorkflow';
export { reconciliationWorkflow } from './reconciliationWorkflow';
export { retentionWorkflow } from './retentionWorkflow';
