import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { RedisService } from '../jobs/redis.provider';

/** Per address, a looser limit: one office shares an IP, an attacker sprays many emails from one. */
const IP_FACTOR = 4;

/**
 * Counts failed logins per email and per client address in Redis, with a fixed window.
 * Counters are kept for unknown emails too, so throttling reveals nothing about accounts.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  async assertAllowed(email: string, ip: string): Promise<void> {
    const [emailCount, ipCount] = await this.redis.client.mget(this.emailKey(email), this.ipKey(ip));
    const max = this.config.auth.loginMaxFailures;
    const blockedKey = Number(emailCount ?? 0) >= max ? this.emailKey(email) : Number(ipCount ?? 0) >= max * IP_FACTOR ? this.ipKey(ip) : null;
    if (!blockedKey) return;
    const ttl = await this.redis.client.ttl(blockedKey);
    const retryAfter = String(Math.max(ttl, 1));
    throw new AppException(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.TooManyRequests, 'Too many failed logins; try again later', { retryAfterSeconds: Number(retryAfter) }, { 'Retry-After': retryAfter });
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const window = this.config.auth.loginFailureWindowSeconds;
    await this.redis.client
      .multi()
      .incr(this.emailKey(email))
      .expire(this.emailKey(email), window, 'NX')
      .incr(this.ipKey(ip))
      .expire(this.ipKey(ip), window, 'NX')
      .exec();
  }

  async reset(email: string): Promise<void> {
    await this.redis.client.del(this.emailKey(email));
  }

  private emailKey(email: string): string {
    // Hashed, so Redis holds no list of the emails people tried.
    return this.redis.key('login-failures', 'email', createHash('sha256').update(email).digest('hex'));
  }

  private ipKey(ip: string): string {
    return this.redis.key('login-failures', 'ip', ip);
  }
}
