import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/config';
import { Lane } from '../src/delivery/delivery.entity';
import { PageLimiter, paceClock } from '../src/delivery/page-limiter';
import { RedisService } from '../src/jobs/redis.provider';
import { newPageId } from './support/meta-ids';
import { databaseUrl } from './support/env';
import { testEnv, uniqueRedisPrefix } from './support/harness';

/**
 * The Page's pacing timelines in the real Redis, on their own: which timelines a call takes a
 * slot of, and how far ahead each lane may book. Promotions are set slower than audio and video
 * here (4/s against 10/s), so a promoted video shows which of the two paces it.
 */
describe('page limiter', () => {
  let redis: RedisService;
  let limiter: PageLimiter;
  let pageSpacing: number;
  before(async () => {
    const config = loadConfig(testEnv(databaseUrl('unused'), uniqueRedisPrefix('limiter'), { DELIVERY_PROMOTION_RATE: '4', DELIVERY_MEDIA_RATE: '10' }));
    redis = new RedisService(config);
    await redis.onModuleInit();
    limiter = new PageLimiter(config, redis);
    const { pageRate, rateMarginMs } = config.delivery;
    pageSpacing = (1_000 + Math.max(rateMarginMs, 1_000 / pageRate)) / pageRate;
  });
  after(() => redis.onApplicationShutdown());

  const booked = async (pageId: string, lane: Lane, media: boolean, count = 1) => {
    const answer = await limiter.reserve(pageId, lane, media, count);
    assert.ok('slots' in answer, `expected slots, got ${JSON.stringify(answer)}`);
    return answer.slots;
  };
  const refusedFor = async (pageId: string, lane: Lane, media: boolean) => {
    const answer = await limiter.reserve(pageId, lane, media, 1);
    assert.ok('retryInMs' in answer, `expected a refusal, got ${JSON.stringify(answer)}`);
    return answer.retryInMs;
  };

  it('books consecutive slots in one call, spaced (1 s + margin) / rate, each between its two countings', async () => {
    const pageId = newPageId();
    const slots = await booked(pageId, Lane.AgentReply, false, 5);
    assert.equal(slots.length, 5);
    for (let i = 1; i < slots.length; i++) assert.ok(Math.abs(slots[i].at - slots[i - 1].at - pageSpacing) < 0.01, `slot ${i} is one spacing after the one before`);
    for (const slot of slots) assert.ok(slot.earliest <= slot.at, 'counted from the request, a slot is never later than counted from the answer');
  });

  it('a promoted video takes a slot of the Page, the promotion and the media timelines: the slowest paces it', async () => {
    const pageId = newPageId();
    await booked(pageId, Lane.Promotion, true);
    // The promotion timeline (4/s: 312 ms apart) is further ahead than the media one (10/s: 110 ms).
    const video = await refusedFor(pageId, Lane.Promotion, true);
    assert.ok(video > 200, `a second promoted video waits for the promotion pace, not the media one: ${video} ms`);
    const text = await refusedFor(pageId, Lane.Promotion, false);
    assert.ok(text > 200, `a text promotion shares that pace: ${text} ms`);
    // An agent reply's video waits for the media pace only: it takes no promotion slot.
    const before = paceClock();
    const [replyVideo] = await booked(pageId, Lane.AgentReply, true);
    const wait = replyVideo.earliest - before;
    assert.ok(wait > 50 && wait < 200, `an agent reply's video is paced by the media timeline: ${wait} ms`);
  });
});
