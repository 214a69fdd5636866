import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { maskToken } from '../common/crypto/secret-cipher';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { isUniqueViolation } from '../database/pg-errors';
import { QueueRepository } from '../tickets/queue.repository';
import { ChannelStatus } from './channel.entity';
import { ChannelRepository } from './channel.repository';
import { ChannelTokenService, ChannelUnavailableError } from './channel-token.service';
import { type ChannelDto, type ConnectMessengerDto, mapChannel, type UpdateChannelDto } from './channels.dto';
import { GraphClient, GraphError, GraphUnavailableError } from './messenger/graph.client';

@Injectable()
export class ChannelsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly channels: ChannelRepository,
    private readonly queues: QueueRepository,
    private readonly tokens: ChannelTokenService,
    private readonly graph: GraphClient,
  ) {}

  /** Checks the token and subscribes the app before anything is stored: a channel row means a working Page. */
  async connectMessenger(companyId: string, dto: ConnectMessengerDto): Promise<ChannelDto> {
    if (dto.queueId && !(await this.queues.findById(companyId, dto.queueId))) throw AppException.notFound('Queue');
    // The token first: only someone holding the Page's token learns whether it is connected here.
    const page = await this.verifyPageToken(dto.pageId, dto.pageAccessToken);
    if (await this.channels.findConnectedByPage(dto.pageId)) throw pageTaken();
    await this.graphCall(() => this.graph.subscribeApp(dto.pageId, dto.pageAccessToken));

    const id = randomUUID();
    const name = dto.name ?? page.name;
    // Two Pages of the same name connected at once may race for the same queue name: try the next one.
    for (let attempt = 0; ; attempt++) {
      try {
        const channel = await this.dataSource.transaction(async (manager) => {
          const queueId = dto.queueId ?? (await this.queues.create(companyId, await this.freeQueueName(companyId, name, attempt), manager)).id;
          return this.channels.create(
            companyId,
            { id, pageId: dto.pageId, name, defaultQueueId: queueId, accessTokenEnc: this.tokens.seal(companyId, id, dto.pageAccessToken), tokenMask: maskToken(dto.pageAccessToken) },
            manager,
          );
        });
        return mapChannel(channel);
      } catch (error) {
        if (isUniqueViolation(error, 'UQ_channels_connected_page')) throw pageTaken();
        if (isUniqueViolation(error, 'UQ_queues_company_name') && attempt < 5) continue;
        throw error;
      }
    }
  }

  async list(companyId: string, page: PageQueryDto): Promise<Page<ChannelDto>> {
    return mapPage(await this.channels.list(companyId, page), mapChannel);
  }

  async get(companyId: string, id: string): Promise<ChannelDto> {
    const channel = await this.channels.findById(companyId, id);
    if (!channel) throw AppException.notFound('Channel');
    return mapChannel(channel);
  }

  async update(companyId: string, id: string, dto: UpdateChannelDto): Promise<ChannelDto> {
    const channel = await this.channels.findById(companyId, id);
    if (!channel) throw AppException.notFound('Channel');
    if (dto.defaultQueueId && !(await this.queues.findById(companyId, dto.defaultQueueId))) throw AppException.notFound('Queue');
    const patch: Parameters<ChannelRepository['update']>[2] = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.defaultQueueId !== undefined) patch.defaultQueueId = dto.defaultQueueId;
    if (dto.features?.humanAgent !== undefined) patch.humanAgentEnabled = dto.features.humanAgent;
    if (dto.features?.marketingMessages !== undefined) patch.marketingMessagesEnabled = dto.features.marketingMessages;
    if (dto.features?.utilityTemplates !== undefined) patch.utilityTemplates = [...new Set(dto.features.utilityTemplates)];
    if (dto.pageAccessToken !== undefined) {
      await this.verifyPageToken(channel.pageId, dto.pageAccessToken);
      await this.graphCall(() => this.graph.subscribeApp(channel.pageId, dto.pageAccessToken!));
      Object.assign(patch, {
        accessTokenEnc: this.tokens.seal(companyId, id, dto.pageAccessToken),
        tokenMask: maskToken(dto.pageAccessToken),
        status: ChannelStatus.Active,
        statusReason: null,
      });
    }
    const updated = await this.channels.update(companyId, id, patch);
    if (!updated) throw AppException.notFound('Channel');
    return mapChannel(updated);
  }

  /**
   * Asks Graph whether the stored token still works, and records the answer as the channel's
   * health: 190 is needs_reauth, 10/1893063 is restricted, success is active again.
   */
  async check(companyId: string, id: string): Promise<ChannelDto> {
    const channel = await this.channels.findById(companyId, id);
    if (!channel) throw AppException.notFound('Channel');
    try {
      const page = await this.graph.me(await this.tokens.open(companyId, id));
      if (page.id !== channel.pageId) await this.channels.setStatus(companyId, id, ChannelStatus.NeedsReauth, 'The stored token belongs to another Page');
      else await this.channels.setStatus(companyId, id, ChannelStatus.Active, null);
    } catch (error) {
      if (error instanceof GraphError) await this.recordGraphRefusal(companyId, id, error);
      else if (error instanceof GraphUnavailableError) throw new AppException(HttpStatus.BAD_GATEWAY, ErrorCode.GraphUnavailable, 'Facebook did not answer; try again');
      else if (!(error instanceof ChannelUnavailableError)) throw error;
    }
    return this.get(companyId, id);
  }

  /** The one place a Graph refusal becomes a channel state; other refusals leave the state alone. */
  async recordGraphRefusal(companyId: string, id: string, error: GraphError): Promise<void> {
    if (error.tokenInvalid) await this.channels.setStatus(companyId, id, ChannelStatus.NeedsReauth, `Facebook refused the Page token (190): ${error.message}`.slice(0, 300));
    else if (error.pageRestricted) await this.channels.setStatus(companyId, id, ChannelStatus.Restricted, `Facebook restricted the Page (10/1893063): ${error.message}`.slice(0, 300));
  }

  /** Unsubscribing at Meta is best effort: the channel is disconnected here whatever Meta says. */
  async disconnect(companyId: string, id: string): Promise<void> {
    const channel = await this.channels.findById(companyId, id);
    if (!channel) throw AppException.notFound('Channel');
    try {
      await this.graph.unsubscribeApp(channel.pageId, await this.tokens.open(companyId, id));
    } catch {
      // The token may already be dead; Meta stops sending once the app loses the Page anyway.
    }
    if (!(await this.channels.disconnect(companyId, id))) throw AppException.notFound('Channel');
  }

  private async verifyPageToken(pageId: string, token: string): Promise<{ id: string; name: string }> {
    const page = await this.graphCall(() => this.graph.me(token));
    if (page.id !== pageId) {
      throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.PageMismatch, 'This token belongs to another Page');
    }
    return page;
  }

  private async graphCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GraphError) {
        throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.GraphError, `Facebook refused: ${error.message}`, { code: error.code, subcode: error.subcode, fbtraceId: error.fbtraceId });
      }
      if (error instanceof GraphUnavailableError) {
        throw new AppException(HttpStatus.BAD_GATEWAY, ErrorCode.GraphUnavailable, 'Facebook did not answer; try again');
      }
      throw error;
    }
  }

  private async freeQueueName(companyId: string, base: string, skip: number): Promise<string> {
    const taken = new Set(await this.queues.namesLike(companyId, base.slice(0, 94)));
    for (let n = 1 + skip; ; n++) {
      const candidate = n === 1 ? base.slice(0, 100) : `${base.slice(0, 94)} (${n})`;
      if (!taken.has(candidate.toLowerCase())) return candidate;
    }
  }
}

const pageTaken = () => AppException.conflict('This Page is already connected', ErrorCode.PageTaken);
