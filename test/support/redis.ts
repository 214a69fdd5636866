import IORedis from 'ioredis';
import { TEST_REDIS_URL } from './env';

export async function deleteRedisKeys(pattern: string): Promise<number> {
  const redis = new IORedis(TEST_REDIS_URL);
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
