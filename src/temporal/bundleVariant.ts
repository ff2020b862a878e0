/**
 * The argument that makes ./bundleWorkflowsMain add OpenTelemetry's workflow interceptors (tracing
 * on). They add no commands, and they gate their own behaviour changes on SDK flags recorded in
 * history, so either bundle replays the other's histories (docs/versioning.md).
 */
export const TRACED_BUNDLE_FLAG = '--traced';

/** The OpenTelemetry workflow interceptors module, as the bundler wants it. */
export const OTEL_WORKFLOW_INTERCEPTORS = '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
