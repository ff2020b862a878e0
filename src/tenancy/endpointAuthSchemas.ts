import { z } from 'zod';
import { SIGNATURE_HEADER_NAMES } from '../signing/signDelivery';
import { HttpUrl, Text } from './wireCommon';

/**
 * Per-endpoint custom headers and receiver authentication (what Convoy and Svix Cloud offer:
 * static headers, Basic, bearer / API key, OAuth2 client credentials). Written once, sealed at
 * rest with the signing-secret box, never returned: reads show only header names and the auth
 * type (EndpointAuthSummary).
 */

/** RFC 9110 field-name token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Names Switchboard owns on a delivery: hop-by-hop headers (RFC 9110 §7.6.1), the framing and
 * routing ones, the content type of the signed body, the signature headers, and Authorization
 * (set through `auth`, so it is sealed and never shown).
 */
export const RESERVED_HEADER_NAMES: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'expect',
  'authorization',
  ...SIGNATURE_HEADER_NAMES,
];

const HeaderName = z
  .string()
  .min(1)
  .max(64)
  .regex(TOKEN, { message: 'not a valid HTTP header name' })
  .refine((n) => !RESERVED_HEADER_NAMES.includes(n.toLowerCase()), {
    message: `reserved header name (hop-by-hop, Host, Content-Length, Content-Type, Authorization or a signature header: ${RESERVED_HEADER_NAMES.join(', ')})`,
  });

/** Visible ASCII and spaces only: no CR/LF (header injection), no NUL. */
const HeaderValue = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x20-\x7e]+$/, { message: 'header values are printable ASCII (no control characters)' });

export const CustomHeaders = z
  .record(HeaderName, HeaderValue)
  .refine((h) => Object.keys(h).length <= 20, { message: 'at most 20 custom headers' })
  .refine((h) => new Set(Object.keys(h).map((k) => k.toLowerCase())).size === Object.keys(h).length, {
    message: 'header names must be unique ignoring case',
  })
  .meta({
    description: 'Static headers sent with every delivery (values sealed at rest, never returned). Reserved names are refused with 422.',
    example: { 'x-tenant-ref': 'acme-42' },
  });

const Secret = Text().min(1).max(4096);

export const EndpointAuthInput = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('basic'), username: Text().min(1).max(256).regex(/^[^:]*$/, { message: 'a Basic username may not contain ":"' }), password: Secret }),
    z.strictObject({ type: z.literal('bearer'), token: Secret.regex(/^[\x21-\x7e]+$/, { message: 'a bearer token is visible ASCII without spaces' }) }),
    z.strictObject({ type: z.literal('api_key'), header: HeaderName, key: HeaderValue }),
    z.strictObject({
      type: z.literal('oauth2_client_credentials'),
      token_url: HttpUrl.meta({ description: 'Token endpoint (same address rules as endpoint URLs)' }),
      client_id: Text().min(1).max(512),
      client_secret: Secret,
      scope: Text().min(1).max(1024).optional(),
      audience: Text().min(1).max(1024).optional(),
    }),
  ])
  .meta({
    id: 'EndpointAuthInput',
    description:
      'How the receiver authenticates Switchboard: `basic` (Authorization: Basic), `bearer` (Authorization: Bearer), ' +
      '`api_key` (your header name and key), or `oauth2_client_credentials` (a token from token_url with client_secret_basic, ' +
      'cached until it expires, fetched again once on a 401). Credentials are sealed at rest and never returned.',
  });
export type EndpointAuthInput = z.infer<typeof EndpointAuthInput>;

export const EndpointAuthSummary = z
  .object({
    type: z.enum(['basic', 'bearer', 'api_key', 'oauth2_client_credentials']),
    header: z.string().optional().meta({ description: 'api_key: the header name' }),
    token_url: z.string().optional().meta({ description: 'oauth2_client_credentials: the token endpoint' }),
    client_id: z.string().optional().meta({ description: 'oauth2_client_credentials: the client id' }),
  })
  .meta({ id: 'EndpointAuthSummary', description: 'What is configured, without any credential' });
export type EndpointAuthSummary = z.infer<typeof EndpointAuthSummary>;

export function authSummary(auth: EndpointAuthInput): EndpointAuthSummary {
  switch (auth.type) {
    case 'api_key':
      return { type: auth.type, header: auth.header };
    case 'oauth2_client_credentials':
      return { type: auth.type, token_url: auth.token_url, client_id: auth.client_id };
    default:
      return { type: auth.type };
  }
}
