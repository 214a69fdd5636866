import 'reflect-metadata';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { loadConfig, Role } from '../src/config/config';
import { dataSourceOptions } from '../src/database/data-source';
import { migrate } from '../src/database/migrate';
import { buildOpenApiDocument, stableJson } from '../src/openapi/openapi';
import { cloneTemplateDatabase, dropDatabase, uniqueDatabaseName } from './support/database';
import { databaseUrl } from './support/env';
import { type Harness, startHarness } from './support/harness';

describe('schema and contract stay in step with the code', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('schema', { ROLE: 'api' });
  });
  after(() => h.close());

  it('the committed openapi.json is what the code generates (run `npm run openapi`)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
    // A boolean, not a diff: the document is long, and the fix is always the same command.
    assert.ok(stableJson(buildOpenApiDocument(h.app)) === committed, 'openapi.json is stale: run `npm run openapi` and commit it');
  });

  it('every /v1 operation documents bearer auth or is one of the public auth routes', () => {
    const document = buildOpenApiDocument(h.app);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { security?: unknown[] }>)) {
        const isPublic = path.startsWith('/v1/auth/');
        assert.equal(Boolean(operation.security?.length), !isPublic, `${method.toUpperCase()} ${path}`);
      }
    }
  });

  it('the migrations produce exactly the schema the entities describe', async () => {
    const source = new DataSource({ ...dataSourceOptions(loadConfig({ DATABASE_URL: h.databaseUrl, ROLE: Role.Api })) });
    await source.initialize();
    try {
      const pending = await source.driver.createSchemaBuilder().log();
      assert.deepEqual(pending.upQueries.map((q) => q.query), [], 'entities changed without a migration: run npm run migration:generate');
    } finally {
      await source.destroy();
    }
  });
});

describe('migrations', () => {
  it('revert cleanly and apply again', async () => {
    const database = await cloneTemplateDatabase('revert');
    const config = loadConfig({ DATABASE_URL: database.url, ROLE: Role.Api });
    const source = new DataSource(dataSourceOptions(config));
    await source.initialize();
    try {
      const count = (await source.query('SELECT count(*)::int AS n FROM migrations'))[0].n as number;
      for (let i = 0; i < count; i++) await source.undoLastMigration({ transaction: 'each' });
      const tables = await source.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
      assert.deepEqual(tables, [], 'down() removes everything up() made');
      await source.destroy();
      assert.equal((await migrate(config)).length, count);
    } finally {
      if (source.isInitialized) await source.destroy();
      await dropDatabase(database.name);
    }
  });

  it('concurrent runners under the advisory lock apply each migration once', async () => {
    const name = uniqueDatabaseName('lock');
    const config = loadConfig({ DATABASE_URL: databaseUrl(name), ROLE: Role.Api });
    try {
      const results = await Promise.all([migrate(config), migrate(config), migrate(config)]);
      const applied = results.map((r) => r.length).sort();
      assert.equal(applied[0], 0);
      assert.equal(applied[1], 0);
      assert.ok(applied[2] >= 1);
    } finally {
      await dropDatabase(name);
    }
  });
});
