import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { paginate } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { Contact, ProfileState } from './contact.entity';

export interface ContactSighting {
  companyId: string;
  channelId: string;
  psid: string;
  /** Set for events that open Meta's 24-hour window; null for the others. */
  interactionAt: Date | null;
  standby: boolean;
}

export interface ContactFilter extends PageQueryDto {
  q?: string;
  channelId?: string;
}

export const placeholderName = (psid: string): string => `Messenger user ${psid.slice(-4)}`;

@Injectable()
export class ContactRepository {
  constructor(@InjectRepository(Contact) private readonly contacts: Repository<Contact>) {}

  /** Creates the contact on first sight, else moves its interaction clock forward (never back: events arrive out of order). */
  async upsertSighting(manager: EntityManager, s: ContactSighting): Promise<{ id: string; created: boolean }> {
    const rows: Array<{ id: string; created: boolean }> = await manager.query(
      `INSERT INTO contacts (company_id, channel_id, psid, name, last_interaction_at, in_standby)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (channel_id, psid) DO UPDATE SET
         last_interaction_at = GREATEST(contacts.last_interaction_at, EXCLUDED.last_interaction_at),
         in_standby = EXCLUDED.in_standby,
         updated_at = now()
       RETURNING id, (xmax = 0) AS created`,
      [s.companyId, s.channelId, s.psid, placeholderName(s.psid), s.interactionAt, s.standby],
    );
    return rows[0];
  }

  async setReferral(manager: EntityManager, companyId: string, id: string, referral: Record<string, unknown>): Promise<void> {
    await manager.query(`UPDATE contacts SET last_referral = $3, updated_at = now() WHERE company_id = $1 AND id = $2`, [companyId, id, JSON.stringify(referral)]);
  }

  async setThreadOwner(manager: EntityManager, companyId: string, id: string, appId: string | null): Promise<void> {
    await manager.query(`UPDATE contacts SET thread_owner_app_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2`, [companyId, id, appId]);
  }

  /**
   * Housekeeping across companies: contacts whose profile fetch never ran (its job was lost
   * with Redis, or the channel needed a new token then).
   */
  pendingProfiles(olderThanMs: number, limit: number): Promise<Array<{ companyId: string; contactId: string }>> {
    return this.contacts.query(
      `SELECT c.company_id AS "companyId", c.id AS "contactId" FROM contacts c JOIN channels ch ON ch.id = c.channel_id
       WHERE c.profile_state = 'pending' AND ch.status = 'active' AND ch.disconnected_at IS NULL
         AND c.created_at < now() - make_interval(secs => $1::double precision / 1000)
       LIMIT $2`,
      [olderThanMs, limit],
    );
  }

  findById(companyId: string, id: string): Promise<Contact | null> {
    return this.contacts.findOneBy({ companyId, id });
  }

  async setProfile(companyId: string, id: string, profile: { firstName: string | null; lastName: string | null; picture: string | null } | null): Promise<void> {
    if (!profile) {
      await this.contacts.update({ companyId, id }, { profileState: ProfileState.Unavailable });
      return;
    }
    const name = [profile.firstName, profile.lastName].filter(Boolean).join(' ').slice(0, 200);
    // The fetched name replaces only the placeholder (placeholderName, written in SQL here):
    // a name an agent typed in meanwhile stays.
    await this.contacts.query(
      `UPDATE contacts SET first_name = $3, last_name = $4, profile_pic_url = $5, profile_state = 'fetched',
         name = CASE WHEN $6 <> '' AND name = 'Messenger user ' || right(psid, 4) THEN $6 ELSE name END, updated_at = now()
       WHERE company_id = $1 AND id = $2`,
      [companyId, id, profile.firstName, profile.lastName, profile.picture, name],
    );
  }

  /** Newest first; name search uses the trigram index, so it stays fast on large address books. */
  list(companyId: string, filter: ContactFilter): Promise<Page<Contact>> {
    const qb = this.contacts.createQueryBuilder('contact').where('contact.companyId = :companyId', { companyId });
    if (filter.channelId) qb.andWhere('contact.channelId = :channelId', { channelId: filter.channelId });
    if (filter.q) qb.andWhere('contact.name ILIKE :q', { q: `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
    return paginate(qb, filter, { column: 'createdAt', direction: 'DESC' });
  }

  async update(companyId: string, id: string, patch: Partial<Pick<Contact, 'name' | 'externalId' | 'tags'>>): Promise<Contact | null> {
    if (Object.keys(patch).length > 0) await this.contacts.update({ companyId, id }, patch);
    return this.findById(companyId, id);
  }
}
