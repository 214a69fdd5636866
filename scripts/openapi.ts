import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.factory';
import { loadConfig, Role } from '../src/config/config';
import { createLogger } from '../src/common/logging/logger';
import { buildOpenApiDocument, stableJson } from '../src/openapi/openapi';

/** `npm run openapi`: regenerates the committed openapi.json from the running route table. */
async function main(): Promise<void> {
  const app = await createApp({ ...loadConfig(), role: Role.Api }, { logger: createLogger('silent') });
  try {
    writeFileSync(join(__dirname, '..', '..', 'openapi.json'), stableJson(buildOpenApiDocument(app)));
    console.log('openapi.json written');
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
