import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { type AppConfig } from '../config/config';
import { dataSourceOptions } from './data-source';

/** Any fixed number works; it only has to be the same in every Guichet process. */
const MIGRATION_LOCK_ID = 7_345_829_101;

/**
 * Connects to the target database first and only falls back to the maintenance database
 * to create it when PostgreSQL says it does not exist: managed roles often cannot reach `postgres`.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) throw new Error(`DATABASE_URL: unsupported database name "${name}"`);
  const probe = new Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    // Another process created it meanwhile: duplicate_database, or a unique violation when both CREATEs overlap.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await admin.end();
  }
}

/**
 * Applies pending migrations while holding a session advisory lock, so several api
 * processes starting together run them once and the others wait, then find nothing to do.
 */
export async function migrate(config: AppConfig): Promise<string[]> {
  await ensureDatabase(config.database.url);
  const options = dataSourceOptions(config);
  // Two connections: one holds the lock, the other runs the migrations.
  const dataSource = new DataSource({ ...options, extra: { ...(options.extra as object), max: 2 } });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
