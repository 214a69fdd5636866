import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module';
import { ChannelTokenService } from '../src/channels/channel-token.service';
import { createLogger, PinoNestLogger } from '../src/common/logging/logger';
import { loadConfig, Role } from '../src/config/config';

/**
 * `npm run rotate-keys`: re-encrypts every stored Page token under the current key (the first
 * of ENCRYPTION_KEYS). Each row is its own compare-and-set, so killing it halfway and running
 * it again finishes the job without losing or double-wrapping a token.
 */
async function main(): Promise<void> {
  const config = { ...loadConfig(), role: Role.Api };
  const logger = createLogger(config.logLevel);
  const app = await NestFactory.createApplicationContext(AppModule.forRole(config), { logger: new PinoNestLogger(logger) });
  try {
    const result = await app.get(ChannelTokenService).rotateAll();
    console.log(JSON.stringify({ currentKey: config.encryption.current.id, ...result }));
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
