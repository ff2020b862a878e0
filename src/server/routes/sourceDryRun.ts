import type { Request } from 'express';
import type { z } from 'zod';
import type { Config } from '../../config';
import type { DryRunBody, DryRunResultSchema } from '../../sources/sourceSchemas';
import type { Source } from '../../sources/sources';
import { verifySource } from '../../sources/verifySource';
import { checkContentType, checkIp, normalise, readSourceBody } from './sourceChecks';
import { signedUrl } from './sourceIngestStages';

type DryRunResult = z.infer<typeof DryRunResultSchema>;

/**
 * What ingest through this source would do with a sample request, step by step with the same
 * checks (sourceChecks.ts) and verifier, storing nothing: the first step that fails is named
 * (with the mapping rule and pointer when it is the mapping). The IP allowlist is checked only
 * when `source_ip` is given, the content type only when a `content-type` header is.
 */
export function dryRun(source: Source, secrets: string[], sample: z.infer<typeof DryRunBody>, config: Config, req: Request): DryRunResult {
  const headers = Object.fromEntries(Object.entries(sample.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const body = Buffer.from(sample.body, 'utf8');
  const refused = (failure: DryRunResult['failure'], verified: boolean): DryRunResult => ({ outcome: 'refused', verified, failure });

  if (sample.source_ip !== undefined) {
    const ip = checkIp(source, sample.source_ip);
    if (!ip.ok) return refused(ip.failure, false);
  }
  if (headers['content-type'] !== undefined) {
    const type = checkContentType(source, headers['content-type']);
    if (!type.ok) return refused(type.failure, false);
  }
  const url = sample.url ?? signedUrl(source, config, req, `/v1/sources/${source.id}/events`);
  const verdict = verifySource(source.verification, secrets, { headers, body, nowMs: Date.now(), url });
  if (!verdict.ok) return refused({ stage: 'verification', code: verdict.code, message: verdict.reason }, false);

  const read = readSourceBody(source, body);
  if (!read.ok) return { outcome: 'rejected', verified: true, failure: read.failure };
  const outcome = normalise(source, read.value.value, Date.now(), headers);
  if (outcome.kind === 'ignored') return { outcome: 'ignored', verified: true, failure: { stage: 'mapping', code: 'ignored_event', rule: 'event', message: outcome.reason } };
  if (outcome.kind === 'rejected') return { outcome: 'rejected', verified: true, failure: outcome.failure };
  return { outcome: 'accepted', verified: true, event: outcome.event as Record<string, unknown> };
}
