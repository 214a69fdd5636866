import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SecretCipher, SecretDecryptError } from '../common/crypto/secret-cipher';
import { ChannelStatus } from './channel.entity';
import { ChannelRepository } from './channel.repository';

const COLUMN = 'access_token_enc';

/** The channel cannot be used until an admin acts (token missing, undecryptable, or refused by Meta). */
export class ChannelUnavailableError extends Error {}

/** Page access tokens in and out of their encrypted envelope; nothing else sees them. */
@Injectable()
export class ChannelTokenService {
  private readonly logger = new Logger(ChannelTokenService.name);
  readonly cipher: SecretCipher;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly channels: ChannelRepository,
  ) {
    this.cipher = new SecretCipher(config.encryption);
  }

  seal(companyId: string, channelId: string, token: string): string {
    return this.cipher.encrypt(token, { companyId, rowId: channelId, column: COLUMN });
  }

  /** A ciphertext that fails to decrypt (tampered, copied from another row) parks the channel instead of crashing. */
  async open(companyId: string, channelId: string): Promise<string> {
    return (await this.openSealed(companyId, channelId)).token;
  }

  /** The token with the envelope it came from, for a caller that must later tell whether it was replaced. */
  async openSealed(companyId: string, channelId: string): Promise<{ token: string; envelope: string }> {
    const envelope = await this.channels.encryptedToken(companyId, channelId);
    if (!envelope) throw new ChannelUnavailableError('The channel has no token');
    try {
      return { token: this.cipher.decrypt(envelope, { companyId, rowId: channelId, column: COLUMN }), envelope };
    } catch (error) {
      if (!(error instanceof SecretDecryptError)) throw error;
      // A key missing from this process's ring is a deployment mistake (a rolling restart, a
      // rotation run too early), not a bad token: alert, but do not park every channel.
      if (error.reason === 'unknown_key') {
        this.logger.error({ companyId, channelId, keyId: this.cipher.keyIdOf(envelope) }, 'ENCRYPTION_KEYS lacks the key of a stored token');
        throw new ChannelUnavailableError('The stored token uses a key this process does not have');
      }
      this.logger.error({ companyId, channelId, reason: error.reason }, 'Page token cannot be decrypted; channel needs a new token');
      await this.channels.setStatus(companyId, channelId, ChannelStatus.NeedsReauth, `The stored token cannot be decrypted (${error.reason}); replace it`);
      throw new ChannelUnavailableError('The stored token cannot be decrypted');
    }
  }

  /** Re-encrypts every envelope not under the current key. Safe to re-run after a crash: each row is its own compare-and-set. */
  async rotateAll(batchSize = 200): Promise<{ rotated: number; failed: number }> {
    let rotated = 0;
    let failed = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await this.channels.encryptedBatch(after, batchSize);
      if (batch.length === 0) return { rotated, failed };
      for (const row of batch) {
        after = row.id;
        if (!this.cipher.needsRotation(row.accessTokenEnc)) continue;
        try {
          const next = this.cipher.rotate(row.accessTokenEnc, { companyId: row.companyId, rowId: row.id, column: COLUMN });
          if (await this.channels.replaceEnvelope(row.companyId, row.id, row.accessTokenEnc, next)) rotated++;
        } catch (error) {
          if (!(error instanceof SecretDecryptError)) throw error;
          failed++;
          await this.channels.setStatus(row.companyId, row.id, ChannelStatus.NeedsReauth, `The stored token cannot be decrypted (${error.reason}); replace it`);
        }
      }
    }
  }
}
