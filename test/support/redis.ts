import IORedis from 'ioredis';
import { TEST_REDIS_URL } from './env';

/** Deletes every key matching the pattern (tests and benchmarks clean their own prefix). */
export async function deleteRedisKeys(pattern: string, url = TEST_REDIS_URL): Promise<number> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
