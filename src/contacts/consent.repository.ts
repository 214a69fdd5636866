import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { MarketingConsent } from './consent.entity';

export interface MarketingOptin {
  token: string;
  expiresAt: Date | null;
  timezone: string | null;
}

/** One consent row per contact, created on the first thing the contact agrees to or refuses. */
@Injectable()
export class ConsentRepository {
  async optIn(manager: EntityManager, companyId: string, channelId: string, contactId: string, optin: MarketingOptin): Promise<void> {
    await manager.query(
      `INSERT INTO consents (company_id, channel_id, contact_id, marketing, marketing_token, marketing_token_expires_at, marketing_timezone)
       VALUES ($1, $2, $3, 'opted_in', $4, $5, $6)
       ON CONFLICT (contact_id) DO UPDATE SET marketing = 'opted_in', marketing_token = EXCLUDED.marketing_token,
         marketing_token_expires_at = EXCLUDED.marketing_token_expires_at, marketing_timezone = EXCLUDED.marketing_timezone,
         opted_out_at = NULL, opt_out_reason = NULL, updated_at = now()`,
      [companyId, channelId, contactId, optin.token, optin.expiresAt, optin.timezone],
    );
  }

  async optOut(manager: EntityManager, companyId: string, channelId: string, contactId: string, reason: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO consents (company_id, channel_id, contact_id, marketing, opted_out_at, opt_out_reason)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (contact_id) DO UPDATE SET marketing = EXCLUDED.marketing, opted_out_at = EXCLUDED.opted_out_at,
         opt_out_reason = EXCLUDED.opt_out_reason, updated_at = now()`,
      [companyId, channelId, contactId, MarketingConsent.OptedOut, at, reason],
    );
  }

  /** RESUME NOTIFICATIONS without a new token: the existing token is good again. */
  async resume(manager: EntityManager, companyId: string, channelId: string, contactId: string): Promise<void> {
    await manager.query(
      `UPDATE consents SET marketing = 'opted_in', opted_out_at = NULL, opt_out_reason = NULL, updated_at = now()
       WHERE company_id = $1 AND contact_id = $2 AND channel_id = $3 AND marketing_token IS NOT NULL`,
      [companyId, contactId, channelId],
    );
  }

  async pluginOptin(manager: EntityManager, companyId: string, channelId: string, contactId: string, ref: string | null): Promise<void> {
    await manager.query(
      `INSERT INTO consents (company_id, channel_id, contact_id, plugin_ref) VALUES ($1, $2, $3, $4)
       ON CONFLICT (contact_id) DO UPDATE SET plugin_ref = EXCLUDED.plugin_ref, updated_at = now()`,
      [companyId, channelId, contactId, ref],
    );
  }
}
