import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, Repository } from 'typeorm';
import { paginateByCreation } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { Channel, ChannelStatus } from './channel.entity';

export type NewChannel = Pick<Channel, 'id' | 'pageId' | 'name' | 'defaultQueueId' | 'accessTokenEnc' | 'tokenMask'>;

@Injectable()
export class ChannelRepository {
  constructor(@InjectRepository(Channel) private readonly channels: Repository<Channel>) {}

  /** Connected channels only: a disconnected one is history, not a route for new events. */
  findById(companyId: string, id: string): Promise<Channel | null> {
    return this.channels.findOneBy({ companyId, id, disconnectedAt: IsNull() });
  }

  /** Whether a Page is connected anywhere (one company at a time). */
  findConnectedByPage(pageId: string): Promise<Channel | null> {
    return this.channels.findOneBy({ pageId, disconnectedAt: IsNull() });
  }

  /** Every channel that ever held the Page, newest first: events are routed by when they were received. */
  historyOfPage(pageId: string, manager: EntityManager = this.channels.manager): Promise<Channel[]> {
    return manager.find(Channel, { where: { pageId }, order: { createdAt: 'DESC' } });
  }

  async encryptedToken(companyId: string, id: string): Promise<string | null> {
    const row = await this.channels.createQueryBuilder('channel').select('channel.accessTokenEnc', 'token').where('channel.companyId = :companyId AND channel.id = :id', { companyId, id }).getRawOne<{ token: string | null }>();
    return row?.token ?? null;
  }

  list(companyId: string, page: PageQueryDto): Promise<Page<Channel>> {
    return paginateByCreation(this.channels.createQueryBuilder('channel').where('channel.companyId = :companyId AND channel.disconnectedAt IS NULL', { companyId }), page);
  }

  create(companyId: string, channel: NewChannel, manager: EntityManager = this.channels.manager): Promise<Channel> {
    return manager.save(manager.create(Channel, { ...channel, companyId, status: ChannelStatus.Active, statusReason: null, disconnectedAt: null }));
  }

  async update(
    companyId: string,
    id: string,
    patch: Partial<Pick<Channel, 'name' | 'defaultQueueId' | 'accessTokenEnc' | 'tokenMask' | 'status' | 'statusReason' | 'humanAgentEnabled' | 'marketingMessagesEnabled' | 'utilityTemplates'>>,
  ): Promise<Channel | null> {
    if (Object.keys(patch).length > 0) await this.channels.update({ companyId, id, disconnectedAt: IsNull() }, patch);
    return this.findById(companyId, id);
  }

  async setStatus(companyId: string, id: string, status: ChannelStatus, reason: string | null): Promise<void> {
    await this.channels.update({ companyId, id }, { status, statusReason: reason });
  }

  /** A status from a Graph refusal of one token: ignored when the token was replaced since. */
  async setStatusIfToken(companyId: string, id: string, envelope: string, status: ChannelStatus, reason: string | null): Promise<void> {
    await this.channels.update({ companyId, id, accessTokenEnc: envelope }, { status, statusReason: reason });
  }

  /** Only ever extends a pause: two workers hitting the limit at once keep the longer wait. */
  async pauseSending(companyId: string, id: string, ms: number): Promise<void> {
    await this.channels.query(
      `UPDATE channels SET send_paused_until = GREATEST(COALESCE(send_paused_until, now()), now() + $3 * interval '1 millisecond') WHERE company_id = $1 AND id = $2`,
      [companyId, id, Math.ceil(ms)],
    );
  }

  /** The token is wiped on disconnect: a disconnected channel keeps no credential. */
  async disconnect(companyId: string, id: string): Promise<boolean> {
    const result = await this.channels.update({ companyId, id, disconnectedAt: IsNull() }, { disconnectedAt: () => 'now()', accessTokenEnc: null });
    return (result.affected ?? 0) > 0;
  }

  /** For key rotation, across companies: ids and envelopes only, in id order, from a cursor. */
  encryptedBatch(afterId: string | null, limit: number): Promise<Array<{ id: string; companyId: string; accessTokenEnc: string }>> {
    const qb = this.channels.createQueryBuilder('channel').select(['channel.id AS "id"', 'channel.companyId AS "companyId"', 'channel.accessTokenEnc AS "accessTokenEnc"']).where('channel.accessTokenEnc IS NOT NULL');
    if (afterId) qb.andWhere('channel.id > :afterId', { afterId });
    return qb.orderBy('channel.id').limit(limit).getRawMany();
  }

  /** Compare-and-set, so a rotation re-run or a concurrent token replacement never loses a write. */
  async replaceEnvelope(companyId: string, id: string, from: string, to: string): Promise<boolean> {
    const result = await this.channels.createQueryBuilder().update().set({ accessTokenEnc: to }).where('company_id = :companyId AND id = :id AND access_token_enc = :from', { companyId, id, from }).execute();
    return (result.affected ?? 0) > 0;
  }
}
