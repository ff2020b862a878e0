import type { z } from 'zod';

/** One documented operation: what the OpenAPI document says of it and what answers it may give. */
export interface OperationSpec {
  method: string;
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** `none` and `signature` need no API key. */
  auth: string;
  params?: z.ZodType;
  body?: z.ZodType;
  bodyLimitBytes?: number;
  query?: z.ZodType;
  extraHeaders?: Array<{ name: string; description: string; required?: boolean }>;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}
