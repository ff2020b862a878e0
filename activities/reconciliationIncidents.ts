import type { Agent } from 'undici';
import { activeSecrets } from '../src/db/signingSecrets';
import { sendWebhook, USER_AGENT } from '../src/net/webhookHttpClient';
import { signDelivery } from '../src/signing/signDelivery';
import type { ActivityDeps } from './deps';
import { FailureType, retryableFailure } from './failures';

/** The body of the `incident.raised` operational webhook. */
export interface IncidentWebhookBody {
  type: 'incident.raised';
  timestamp: string;
  data: {
    id: string;
    partner_id: string;
    reconciliation_run_id: string | null;
    kind: string;
    severity: string;
    summary: string;
    detail: Record<string, unknown>;
    created_at: string;
  };
}

export function reconciliationIncidentActivities({ db, secretBox, config, logger }: ActivityDeps, agent: Agent) {
  return {
    /**
     * POST `incident.raised` to the partner's ops endpoint, signed like every Switchboard webhook
     * (Standard Webhooks headers) with the partner's own inbound secret, so the partner verifies
     * it with a key it already holds. webhook-id is the incident id: retries are recognisable.
     */
    async sendIncidentWebhook(incidentId: string): Promise<'sent' | 'no_ops_endpoint'> {
      const incident = await db
        .selectFrom('incidents')
        .innerJoin('partners', 'partners.id', 'incidents.partner_id')
        .select([
          'incidents.id',
          'incidents.partner_id',
          'incidents.reconciliation_run_id',
          'incidents.kind',
          'incidents.severity',
          'incidents.summary',
          'incidents.detail',
          'incidents.created_at',
          'partners.ops_webhook_url',
        ])
        .where('incidents.id', '=', incidentId)
        .executeTakeFirstOrThrow();
      if (!incident.ops_webhook_url) return 'no_ops_endpoint';
      const body: IncidentWebhookBody = {
        type: 'incident.raised',
        timestamp: new Date().toISOString(),
        data: {
          id: incident.id,
          partner_id: incident.partner_id,
          reconciliation_run_id: incident.reconciliation_run_id,
          kind: incident.kind,
          severity: incident.severity,
          summary: incident.summary,
          detail: incident.detail,
          created_at: incident.created_at.toISOString(),
        },
      };
      const json = JSON.stringify(body);
      const secrets = await activeSecrets(db, secretBox, 'partner', incident.partner_id);
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signDelivery(secrets, incident.id, Math.floor(Date.now() / 1000), json),
      };
      const res = await sendWebhook(agent, incident.ops_webhook_url, headers, json, config.delivery.timeoutMs);
      if (res.status < 200 || res.status >= 300) {
        throw retryableFailure(FailureType.DeliveryHttpError, `ops endpoint answered ${res.status}`, { status_code: res.status });
      }
      logger.info({ incident_id: incident.id, partner_id: incident.partner_id, status_code: res.status }, 'incident.raised webhook sent');
      return 'sent';
    },
  };
}
