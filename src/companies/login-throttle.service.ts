import { createHash } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { RedisService } from '../jobs/redis.provider';

/** Per address, a looser limit: one office shares an IP, an attacker sprays many emails from one. */
const IP_FACTOR = 4;

const tooMany = (seconds: number, message: string): AppException =>
  new AppException(HttpStatus.TOO_MANY_REQUESTS, ErrorCode.TooManyRequests, message, { retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });

/**
 * Fixed-window counters in Redis. Every attempt is counted before the password is checked
 * (one MULTI), so parallel guesses cannot slip through between a check and a count; unknown
 * emails are counted too, so throttling reveals nothing about accounts.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  async attempt(email: string, ip: string): Promise<void> {
    const window = this.config.auth.loginFailureWindowSeconds;
    const max = this.config.auth.loginMaxFailures;
    const [emailCount, emailTtl, ipCount, ipTtl] = await this.count([
      [this.emailKey(email), window],
      [this.ipKey(ip), window],
    ]);
    if (emailCount > max || ipCount > max * IP_FACTOR) {
      throw tooMany(Math.max(emailCount > max ? emailTtl : ipTtl, 1), 'Too many failed logins; try again later');
    }
  }

  /** A success clears the email's count and gives the address its attempt back. */
  async succeeded(email: string, ip: string): Promise<void> {
    await this.redis.client
      .multi()
      .del(this.emailKey(email))
      .decr(this.ipKey(ip))
      .exec()
      .catch(() => undefined); // Only bookkeeping: the login itself has succeeded.
  }

  async signup(ip: string): Promise<void> {
    const [count, ttl] = await this.count([[this.redis.key('signups', 'ip', ip), 3600]]);
    if (count > this.config.auth.signupsPerHourPerAddress) throw tooMany(Math.max(ttl, 1), 'Too many signups from this address; try again later');
  }

  /** INCR then EXPIRE NX then TTL per key, atomically: returns [count, ttl, count, ttl, …]. */
  private async count(keys: Array<[string, number]>): Promise<number[]> {
    const multi = this.redis.client.multi();
    for (const [key, seconds] of keys) multi.incr(key).expire(key, seconds, 'NX').ttl(key);
    // Unthrottled logins would be worse than none: without Redis, refuse with a 503.
    const replies = await multi.exec().catch(() => null);
    if (!replies || replies.some(([error]) => error)) {
      throw new AppException(HttpStatus.SERVICE_UNAVAILABLE, ErrorCode.ServiceUnavailable, 'Sign-in is unavailable for a moment; try again');
    }
    const values = replies.map(([, value]) => Number(value));
    return keys.flatMap((_, i) => [values[i * 3], values[i * 3 + 2]]);
  }

  private emailKey(email: string): string {
    // Hashed, so Redis holds no list of the emails people tried.
    return this.redis.key('login-attempts', 'email', createHash('sha256').update(email).digest('hex'));
  }

  private ipKey(ip: string): string {
    return this.redis.key('login-attempts', 'ip', ip);
  }
}
