import type { SecretBox } from '../crypto/secretBox';
import { authSummary, type EndpointAuthInput, type EndpointAuthSummary } from '../tenancy/endpointAuthSchemas';

/**
 * An endpoint's custom headers and receiver auth, sealed as ONE value on the endpoint row
 * (`delivery_auth_sealed`) with the same AES-GCM box as the signing secrets, so the planning
 * statement hands it to the first attempt without another round trip. `summary` is the part
 * that may be shown back (and is stored in clear as `delivery_auth_summary`).
 */
export interface DeliveryAuthOptions {
  headers: Record<string, string>;
  auth: EndpointAuthInput | null;
}

export interface DeliveryAuthSummary {
  header_names: string[];
  auth: EndpointAuthSummary | null;
}

export const NO_DELIVERY_AUTH: DeliveryAuthOptions = { headers: {}, auth: null };

export function isEmpty(o: DeliveryAuthOptions): boolean {
  return Object.keys(o.headers).length === 0 && o.auth === null;
}

export function sealDeliveryAuth(box: SecretBox, o: DeliveryAuthOptions): { sealed: string | null; summary: DeliveryAuthSummary | null } {
  if (isEmpty(o)) return { sealed: null, summary: null };
  return {
    sealed: box.encrypt(JSON.stringify(o)),
    summary: { header_names: Object.keys(o.headers).sort(), auth: o.auth ? authSummary(o.auth) : null },
  };
}

export function unsealDeliveryAuth(box: SecretBox, sealed: string | null): DeliveryAuthOptions {
  if (!sealed) return NO_DELIVERY_AUTH;
  return JSON.parse(box.decrypt(sealed)) as DeliveryAuthOptions;
}

/** A PATCH: a field sent replaces that part (null clears it); a field not sent keeps what is stored. */
export function patchDeliveryAuth(
  current: DeliveryAuthOptions,
  patch: { headers?: Record<string, string> | null; auth?: EndpointAuthInput | null },
): DeliveryAuthOptions {
  return {
    headers: patch.headers === undefined ? current.headers : (patch.headers ?? {}),
    auth: patch.auth === undefined ? current.auth : patch.auth,
  };
}

/** The headers a static auth adds (OAuth2 needs a token first: see oauth2Tokens). */
export function staticAuthHeaders(auth: EndpointAuthInput | null): Record<string, string> {
  if (!auth) return {};
  switch (auth.type) {
    case 'basic':
      return { authorization: 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64') };
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'api_key':
      return { [auth.header.toLowerCase()]: auth.key };
    case 'oauth2_client_credentials':
      return {};
  }
}
