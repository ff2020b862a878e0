import type { RouteKind } from '../../src/domain/statuses';
import { createPartner } from '../../src/tenancy/partners';
import { insertEndpoint, type EndpointInput } from '../../src/tenancy/endpoints';
import { createTenant, insertRoute } from '../../src/tenancy/tenants';
import type { TestStack } from './testStack';

/** Seeds through the same domain functions the admin API uses. */
export async function seedPartner(stack: TestStack, name = 'Acme Voice') {
  return createPartner(stack.core.database.db, stack.core.secretBox, { name });
}

export async function seedTenant(stack: TestStack, partnerId: string, name = 'Tenant', routes: Array<[RouteKind, string]> = []) {
  const tenant = await createTenant(stack.core.database.db, partnerId, { name });
  for (const [kind, value] of routes) await insertRoute(stack.core.database.db, partnerId, tenant.id, kind, value);
  return tenant;
}

/** `secret`: the whsec_ of a v1 endpoint (the default); a v1a endpoint has `publicKey` instead and an empty `secret`. */
export async function seedEndpoint(stack: TestStack, partnerId: string, tenantId: string, input: EndpointInput) {
  const created = await insertEndpoint(stack.core.database.db, stack.core.secretBox, partnerId, tenantId, input);
  return { ...created, secret: created.secret ?? '' };
}

export async function waitForWorkflowResult<T = unknown>(stack: TestStack, workflowId: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await stack.temporal.workflow.getHandle(workflowId).result()) as T;
    } catch (err) {
      // Not started yet (outbox): poll until it exists.
      if ((err as Error).name !== 'WorkflowNotFoundError' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
