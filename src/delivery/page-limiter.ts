import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RedisService } from '../jobs/redis.provider';
import { Lane } from './delivery.entity';

/**
 * Per-Page pacing shared by every worker process, as GCRA timelines in Redis (with Redis's own
 * clock, so processes never disagree): each call reserves the next free slot of the Page's
 * timeline, and of the promotion and audio/video timelines it also belongs to. Slots are spaced
 * evenly at (1 s + margin) / limit, the margin being at least one slot, so no one-second window
 * Meta looks at ever holds more than the limit, even with some jitter between us and Meta. A
 * reservation may lie ahead (the caller sleeps until it); promotions may only reserve a couple
 * of slots ahead, so an agent reply or a shipping notice arriving meanwhile gets the next slot
 * instead of queuing behind a broadcast. Nothing is reserved while Meta asked the Page to wait.
 *
 * KEYS: the pause flag, then every timeline the call belongs to: the Page's, and the promotion and
 * audio/video ones when it is such a call (a promoted video takes a slot of all three). ARGV:
 * horizon (ms), count, then each timeline's spacing (ms). Books up to `count` consecutive slots
 * within the horizon and returns {1, delay...}, each delay in µs from now (Redis answers
 * integers); {0, wait} when none is free, and the caller should ask again in `wait` ms.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {0, paused} end
local horizon = tonumber(ARGV[1])
local lines = #KEYS - 1
local spacing, tat = {}, {}
for i = 1, lines do
  spacing[i] = tonumber(ARGV[i + 2])
  tat[i] = tonumber(redis.call('GET', KEYS[i + 1]) or '0')
end
local booked = {1}
for n = 1, tonumber(ARGV[2]) do
  local slot = now
  for i = 1, lines do
    if tat[i] > slot then slot = tat[i] end
  end
  local delay = slot - now
  if delay > horizon then
    if n == 1 then return {0, math.ceil(delay - horizon)} end
    break
  end
  for i = 1, lines do tat[i] = slot + spacing[i] end
  booked[n + 1] = math.floor(delay * 1000)
end
-- tostring keeps 14 digits, a tenth of a millisecond of an epoch time, rounded either way:
-- stored like that, the timeline would drift by up to 0.05 ms a call.
for i = 1, lines do
  redis.call('SET', KEYS[i + 1], string.format('%.3f', tat[i]), 'PX', math.ceil(tat[i] - now + 1000))
end
return booked
`;

/** Epoch milliseconds with a fraction, for slots 3.4 ms apart; monotonic within the process. */
export function paceClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A booked slot in `paceClock` time. Redis ran the script somewhere between our request and its
 * answer, so the slot lies between the two countings: a call waits for the later one, so it never
 * leaves early, and counts its lateness from the earlier one, so time spent waiting for the
 * answer (a busy event loop) counts as late instead of sliding the call silently.
 */
export interface Slot {
  at: number;
  earliest: number;
}

/** Extends a pause, never shortens one. */
const PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

@Injectable()
export class PageLimiter {
  private readonly prefix: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.prefix = `${config.redis.prefix}:rate`;
  }

  /**
   * Books up to `count` consecutive slots, in order, or answers `retryInMs` when none could be
   * booked (a pause, or a lane booked up to its horizon). One round trip for many calls, so the
   * booking of a busy Page never falls behind its own pace.
   */
  async reserve(pageId: string, lane: Lane, media: boolean, count: number): Promise<{ slots: Slot[] } | { retryInMs: number }> {
    const { pageRate, promotionRate, mediaRate, rateMarginMs } = this.config.delivery;
    // The margin is at least one slot: at 300/s, 15 ms covers the jitter, but at 10/s (audio and
    // video) one call 16 ms late beside an on-time one ten slots on is 11 in a second, a 613 that
    // pauses the whole Page for a minute (seen under a busy test suite).
    const spacing = (limit: number) => (1_000 + Math.max(rateMarginMs, 1_000 / limit)) / limit;
    const pageSpacing = spacing(pageRate);
    const timelines = [{ key: `${this.prefix}:${pageId}`, spacing: pageSpacing }];
    if (lane === Lane.Promotion) timelines.push({ key: `${this.prefix}:${pageId}:promotion`, spacing: spacing(promotionRate) });
    if (media) timelines.push({ key: `${this.prefix}:${pageId}:media`, spacing: spacing(mediaRate) });
    // How far ahead a lane may book: agent replies a second, shipping notices less, promotions two slots.
    const horizon = lane === Lane.Promotion ? 2 * pageSpacing : lane === Lane.Transactional ? 200 : 1_000;
    const keys = [this.pauseKey(pageId), ...timelines.map((timeline) => timeline.key)];
    const sentAt = paceClock();
    const [granted, ...answer] = (await this.redis.client.eval(RESERVE, keys.length, ...keys, horizon, count, ...timelines.map((timeline) => timeline.spacing))) as number[];
    const answeredAt = paceClock();
    return granted === 1 ? { slots: answer.map((us) => ({ at: answeredAt + us / 1_000, earliest: sentAt + us / 1_000 })) } : { retryInMs: answer[0] };
  }

  /** Milliseconds left of a pause Meta asked for, 0 when none. */
  async pausedFor(pageId: string): Promise<number> {
    return Math.max(0, await this.redis.client.pttl(this.pauseKey(pageId)));
  }

  async pause(pageId: string, ms: number): Promise<void> {
    await this.redis.client.eval(PAUSE, 1, this.pauseKey(pageId), Math.max(1, Math.ceil(ms)));
  }

  private pauseKey(pageId: string): string {
    return `${this.prefix}:${pageId}:pause`;
  }
}
