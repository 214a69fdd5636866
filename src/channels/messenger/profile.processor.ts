import { Injectable, Logger } from '@nestjs/common';
import { ChannelStatus } from '../channel.entity';
import { ChannelRepository } from '../channel.repository';
import { ChannelTokenService, ChannelUnavailableError } from '../channel-token.service';
import { ChannelsService } from '../channels.service';
import { GraphClient, GraphError } from './graph.client';
import { JobName, type JobData, type JobOutcome } from '../../jobs/job.catalogue';
import { OnJob } from '../../jobs/on-job.decorator';
import { ProfileState } from '../../contacts/contact.entity';
import { ContactRepository } from '../../contacts/contact.repository';

/** Meta's rate limits and temporary failures: worth another try later. */
const RETRYABLE_GRAPH_CODES = new Set([1, 2, 4, 17, 32, 613, 1200, 80001, 80006]);

/**
 * Names and pictures come from Graph after the message is stored: a slow or failing profile
 * lookup never delays ingestion, and a failure leaves the placeholder name.
 */
@Injectable()
export class ProfileProcessor {
  private readonly logger = new Logger(ProfileProcessor.name);

  constructor(
    private readonly contacts: ContactRepository,
    private readonly channels: ChannelRepository,
    private readonly tokens: ChannelTokenService,
    private readonly graph: GraphClient,
    private readonly channelsService: ChannelsService,
  ) {}

  @OnJob(JobName.FetchProfile)
  async fetch({ companyId, contactId }: JobData<JobName.FetchProfile>): Promise<JobOutcome> {
    const contact = await this.contacts.findById(companyId, contactId);
    if (!contact || contact.profileState !== ProfileState.Pending) return 'skipped';
    const channel = await this.channels.findById(companyId, contact.channelId);
    if (!channel || channel.status === ChannelStatus.NeedsReauth) return 'skipped';
    try {
      const token = await this.tokens.open(companyId, channel.id);
      const profile = await this.graph.profile(contact.psid, token);
      await this.contacts.setProfile(companyId, contactId, {
        firstName: profile.first_name?.slice(0, 100) ?? null,
        lastName: profile.last_name?.slice(0, 100) ?? null,
        picture: profile.profile_pic ?? null,
      });
      return 'done';
    } catch (error) {
      if (error instanceof ChannelUnavailableError) return 'skipped';
      if (error instanceof GraphError && !RETRYABLE_GRAPH_CODES.has(error.code ?? -1)) {
        await this.channelsService.recordGraphRefusal(companyId, channel.id, error);
        // A refused token says nothing about the person: the profile stays pending for later.
        if (error.tokenInvalid || error.pageRestricted) return 'skipped';
        this.logger.warn({ companyId, contactId, code: error.code, subcode: error.subcode }, 'Profile lookup refused; keeping the placeholder name');
        await this.contacts.setProfile(companyId, contactId, null);
        return 'done';
      }
      // Rate limits, temporary Graph failures and timeouts: BullMQ retries with backoff.
      throw error;
    }
  }
}
