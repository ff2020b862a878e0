import { z } from 'zod';
import { PartnerId } from '../idSchemas';
import { CreateEndpointFields, OperationalEventTypes } from '../tenancy/endpointSchemas';

/** A partner's own operations endpoint: an endpoint body without `purpose` (it is 'operations'). */
export const CreateOperationsEndpointBody = CreateEndpointFields.omit({ purpose: true })
  .extend({
    event_types: OperationalEventTypes.nullable().optional(),
    partner_id: PartnerId.optional().meta({ description: 'Required with the admin key; a partner key may leave it out or name itself' }) })
  .meta({ id: 'CreateOperationsEndpoint' });

export const ListOperationsEndpointsQuery = z.strictObject({
  partner_id: PartnerId.optional().meta({ description: 'Required with the admin key' }),
});
