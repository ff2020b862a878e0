import { isIP } from 'node:net';
import { z } from 'zod';
import { INBOUND_EVENT_TYPES } from '../domain/eventTypes';
import { HttpUrl, Name, PageMeta, Text, Timestamp } from '../tenancy/wireCommon';

/**
 * The wire (and stored) shape of an inbound source: how a partner's platform authenticates and
 * where its events' fields are. One set of zod schemas validates the API, types the code and
 * writes the OpenAPI document; the same verification / mapping objects are what the `sources`
 * table holds (no secret ever is: those live encrypted in `source_secrets`).
 */

/** An HTTP header name (RFC 9110 token); compared lower-cased. */
export const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name (letters, digits, - and RFC 9110 token characters)')
  .meta({ description: 'HTTP header name (case-insensitive)' });

/** Short printable ASCII: a prefix or separator placed in a signature header or signed content. */
const PrintableAscii = (max: number) => z.string().max(max).regex(/^[\x20-\x7e]*$/, 'must be printable ASCII');

const ToleranceSeconds = z
  .number()
  .int()
  .min(1)
  .max(86_400)
  .default(300)
  .meta({ description: 'How far (seconds) the signed timestamp may be from now, either way (default 300)' });

export const StandardWebhooksVerification = z
  .strictObject({ scheme: z.literal('standard_webhooks'), tolerance_seconds: ToleranceSeconds })
  .meta({
    description:
      'Standard Webhooks: `webhook-id` / `webhook-timestamp` / `webhook-signature` (or the same headers named `svix-*`), ' +
      'v1 HMAC-SHA256 over `{id}.{timestamp}.{body}`, several signatures allowed. The secret is `whsec_…`.',
  });

export const XSignatureVerification = z
  .strictObject({ scheme: z.literal('x_signature') })
  .meta({ description: '`X-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with a `whsec_…` secret (as the default ingest route)' });

export const HmacVerification = z
  .strictObject({
    scheme: z.literal('hmac'),
    header: HeaderName.meta({ description: 'The header carrying the signature, e.g. `X-Hub-Signature-256` or `Stripe-Signature`' }),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex').meta({ description: 'How the signature is written' }),
    prefix: PrintableAscii(64).default('').meta({ description: 'Text before the signature in the header, e.g. `sha256=`' }),
    header_format: z
      .enum(['value', 'key_value_list'])
      .default('value')
      .meta({ description: '`value`: the header is the signature (after `prefix`). `key_value_list`: `t=…,v1=…,v1=…` (Stripe style)' }),
    signature_key: PrintableAscii(32).min(1).default('v1').meta({ description: 'key_value_list: the key of each signature' }),
    timestamp_key: PrintableAscii(32).min(1).default('t').meta({ description: 'key_value_list: the key of the timestamp' }),
    signed: z
      .enum(['body', 'timestamp_body'])
      .default('body')
      .meta({ description: 'What is signed: the body, or `{timestamp}{separator}{body}`' }),
    timestamp_header: HeaderName.optional().meta({ description: 'timestamp_body with header_format value: the header holding unix seconds' }),
    separator: PrintableAscii(8).default('.').meta({ description: 'Between timestamp and body in the signed content' }),
    tolerance_seconds: ToleranceSeconds,
  })
  .refine((v) => v.signed === 'body' || v.header_format === 'key_value_list' || v.timestamp_header !== undefined, {
    path: ['timestamp_header'],
    message: 'signed timestamp_body needs timestamp_header (or header_format key_value_list, which carries the timestamp)',
  })
  .meta({
    description: 'Generic HMAC keyed with the secret\'s UTF-8 bytes (GitHub, Stripe, Shopify and most providers)',
    // The refinement above, said to the document (which cannot see refinements).
    anyOf: [
      { not: { required: ['signed'] } },
      { properties: { signed: { const: 'body' } } },
      { required: ['header_format'], properties: { header_format: { const: 'key_value_list' } } },
      { required: ['timestamp_header'] },
    ],
  });

export const BasicVerification = z
  .strictObject({ scheme: z.literal('basic'), username: Text().min(1).max(200).regex(/^[^:]*$/, 'must not contain ":"') })
  .meta({ description: 'HTTP Basic auth: this username, the source secret as password' });

export const TokenVerification = z
  .strictObject({
    scheme: z.literal('token'),
    header: HeaderName.default('authorization').meta({
      description: '`authorization` (the default): `Authorization: Bearer <secret>`; any other header: the secret as its whole value',
    }),
  })
  .meta({ description: 'A static token (API key) in a header' });

export const TwilioVerification = z
  .strictObject({
    scheme: z.literal('twilio'),
    url: HttpUrl.optional().meta({
      description:
        'The exact URL the provider is configured to call (it signs it). Default: SWITCHBOARD_PUBLIC_URL (or the request\'s host) + the request path and query',
    }),
  })
  .meta({
    description:
      'Twilio style: `application/x-www-form-urlencoded` body, `X-Twilio-Signature` = base64 HMAC-SHA1 of URL + every param name and value sorted by name, keyed with the auth token (the secret)',
  });

export const SourceVerification = z
  .discriminatedUnion('scheme', [
    StandardWebhooksVerification,
    XSignatureVerification,
    HmacVerification,
    BasicVerification,
    TokenVerification,
    TwilioVerification,
  ])
  .meta({ id: 'SourceVerification' });
export type SourceVerification = z.infer<typeof SourceVerification>;

/** RFC 6901 JSON Pointer: empty (the whole body) or `/`-separated tokens, `~0` for `~` and `~1` for `/`. */
export const JsonPointer = z
  .string()
  .max(512)
  // eslint-disable-next-line no-control-regex -- refusing NUL is part of the pattern (Postgres cannot store it)
  .regex(/^(?:\/(?:[^~/\u0000]|~[01])*)*$/, 'must be a JSON Pointer (RFC 6901): empty, or "/" followed by tokens, with ~0 for "~" and ~1 for "/"')
  .meta({ description: 'JSON Pointer (RFC 6901) into the partner\'s body, e.g. `/data/object/id`; `""` is the whole body' });

const CatalogEventType = z.enum(INBOUND_EVENT_TYPES as [string, ...string[]]);
const VarName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -');

export const SourceMapping = z
  .strictObject({
    event: JsonPointer.optional().meta({ description: 'Where the event name is in the body (a string); give this or `event_header`' }),
    event_header: HeaderName.optional().meta({
      description: 'The request header that carries the event name instead, for platforms that send it only there (e.g. GitHub\'s `X-GitHub-Event`); give this or `event`',
    }),
    call_id: JsonPointer.meta({ description: 'Where the call id (the dedupe key) is (a string or number)' }),
    occurred_at: JsonPointer.optional().meta({ description: 'Where the occurrence time is; absent: the time Switchboard received it' }),
    time_format: z.enum(['iso8601', 'unix_s', 'unix_ms']).default('iso8601').meta({ description: 'How occurred_at is written' }),
    tenant_id: JsonPointer.optional(),
    voice_session_id: JsonPointer.optional(),
    runtime_vars: z
      .record(VarName, JsonPointer)
      .refine((r) => Object.keys(r).length <= 32, 'at most 32 runtime vars')
      .optional()
      .meta({ description: 'runtime var name → pointer (e.g. `crm_account_id` → `/metadata/account`); a pointer that finds nothing is left out', maxProperties: 32 }),
    data: JsonPointer.default('').meta({ description: 'What becomes the event\'s `data` (default: the whole body; a non-object is wrapped as `{"value": …}`)' }),
    event_names: z
      .record(Text().min(1).max(256), CatalogEventType)
      .refine((r) => Object.keys(r).length <= 200, 'at most 200 event names')
      .optional()
      .meta({ description: 'Partner event name → catalog event type; a catalog name passes through unmapped', maxProperties: 200 }),
    unknown_events: z
      .enum(['reject', 'ignore'])
      .default('reject')
      .meta({ description: 'An event name neither mapped nor in the catalog: `reject` (422, kept as a rejected receipt) or `ignore` (202, kept as an ignored receipt)' }),
  })
  // Exactly one place for the event name: a body pointer or a header (the document says it as oneOf).
  .refine((m) => (m.event === undefined) !== (m.event_header === undefined), {
    message: 'give exactly one of event (a body pointer) and event_header (a header name)',
    path: ['event'],
  })
  .meta({ id: 'SourceMapping', oneOf: [{ required: ['event'] }, { required: ['event_header'] }] });
export type SourceMapping = z.infer<typeof SourceMapping>;

/** An IPv4 / IPv6 address or CIDR block: formats (with their patterns) the OpenAPI document states too. */
export const Cidr = z
  .union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], { error: 'must be an IP address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32)' })
  .meta({ description: 'IP address or CIDR block' });

export function parseCidr(value: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const SecretInput = Text()
  .min(1)
  .max(512)
  .meta({ description: 'The secret the partner\'s platform gave you (its signing secret, password, token or auth token). Left out: one is generated' });

const IpAllowlist = z
  .array(Cidr)
  .max(100)
  .nullable()
  .meta({ description: 'Only these addresses / blocks may post (checked on the client address after the trusted proxies, TRUSTED_PROXIES); null: any' });

/** What Standard Webhooks and x-signature key with: `whsec_` + base64 of at least 16 bytes. */
export const WHSEC_PATTERN = '^(?:whsec_)?[A-Za-z0-9+/]{22,}={0,2}$';

export const CreateSourceBody = z
  .strictObject({
    name: Name,
    verification: SourceVerification,
    mapping: SourceMapping.nullable().default(null).meta({ description: 'null: the body is already Switchboard\'s inbound event' }),
    ip_allowlist: IpAllowlist.default(null),
    secret: SecretInput.optional(),
  })
  .meta({
    id: 'CreateSource',
    // The route's rule (a given secret must fit the scheme), said to the document.
    anyOf: [
      { not: { required: ['secret'] } },
      { properties: { verification: { properties: { scheme: { enum: ['hmac', 'basic', 'token', 'twilio'] } } } } },
      { properties: { secret: { pattern: WHSEC_PATTERN } } },
    ],
  });

export const UpdateSourceBody = z
  .strictObject({
    name: Name.optional(),
    verification: SourceVerification.optional(),
    mapping: SourceMapping.nullable().optional(),
    ip_allowlist: IpAllowlist.optional(),
  })
  .meta({ id: 'UpdateSource' });

export const RotateSourceSecretBody = z
  .strictObject({
    secret: SecretInput.optional(),
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional()
      .meta({ description: 'How long the previous secret keeps verifying (default SECRET_ROTATION_GRACE, 24 h)' }),
  })
  .meta({ id: 'RotateSourceSecret' });

export const SourceSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    name: z.string(),
    verification: z.record(z.string(), z.unknown()),
    mapping: z.record(z.string(), z.unknown()).nullable(),
    ip_allowlist: z.array(z.string()).nullable(),
    ingest_path: z.string().meta({ description: 'Where the partner\'s platform posts: POST {this path}' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Source' });

export const CreatedSourceSchema = SourceSchema.extend({
  secret: z.string().meta({ description: 'The source secret, shown only now' }),
}).meta({ id: 'CreatedSource' });

export const SourceListSchema = z.object({ data: z.array(SourceSchema), ...PageMeta });

export const RotatedSourceSecretSchema = z
  .object({
    secret: z.string().meta({ description: 'The new secret, shown only now' }),
    previous_secret_expires_at: Timestamp.meta({ description: 'Until then the previous secret still verifies' }),
  })
  .meta({ id: 'RotatedSourceSecret' });

export const DryRunBody = z
  .strictObject({
    body: Text().max(1024 * 1024).meta({ description: 'The request body exactly as the platform would send it' }),
    headers: z.record(HeaderName, Text().max(8192)).default({}).meta({ description: 'The request headers (names case-insensitive)' }),
    source_ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).optional().meta({ description: 'Client address to check against the allowlist' }),
    url: HttpUrl.optional().meta({ description: 'twilio: the URL the platform signed (default: the source\'s configured or ingest URL)' }),
  })
  .meta({ id: 'SourceDryRun' });

const FailureSchema = z.object({
  stage: z.enum(['ip_allowlist', 'content_type', 'verification', 'body', 'mapping', 'event']),
  code: z.string(),
  message: z.string(),
  pointer: z.string().optional().meta({ description: 'The mapping pointer that failed' }),
  header: z.string().optional().meta({ description: 'The request header that failed (a mapping\'s `event_header`)' }),
  rule: z.string().optional().meta({ description: 'The mapping rule (field) that failed' }),
});
export type SourceFailure = z.infer<typeof FailureSchema>;

export const DryRunResultSchema = z
  .object({
    outcome: z.enum(['accepted', 'ignored', 'rejected', 'refused']).meta({
      description: 'accepted: would be stored (202); ignored: kept as an ignored receipt (202); rejected: kept as a rejected receipt (422); refused: not verified or not readable, nothing kept (401/403/4xx)',
    }),
    verified: z.boolean(),
    event: z.record(z.string(), z.unknown()).optional().meta({ description: 'The normalised event the workflow would see' }),
    failure: FailureSchema.optional(),
  })
  .meta({ id: 'SourceDryRunResult' });

export const SourceReceiptSchema = z
  .object({
    id: z.string(),
    source_id: z.string(),
    outcome: z.enum(['rejected', 'ignored']),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    received_at: Timestamp,
    source_ip: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    body: z.string(),
  })
  .meta({ id: 'SourceReceipt' });

export const SourceReceiptListSchema = z.object({ data: z.array(SourceReceiptSchema), ...PageMeta });

export const SourceIngestAcceptedSchema = z
  .object({
    event_id: z.string().optional(),
    workflow_id: z.string().optional(),
    duplicate: z.boolean(),
    ignored: z.boolean().optional().meta({ description: 'true: the event name is not one this source takes; kept as an ignored receipt' }),
    receipt_id: z.string().optional().meta({ description: 'The ignored receipt' }),
  })
  .meta({ id: 'SourceIngestAccepted' });
