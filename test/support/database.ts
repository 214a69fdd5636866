import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { databaseUrl, TEST_ADMIN_DATABASE_URL, TEST_RUN_ID, TEST_TEMPLATE_DB } from './env';

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueDatabaseName(label: string): string {
  return `guichet_test_${TEST_RUN_ID}_${label}_${randomBytes(3).toString('hex')}`.toLowerCase().slice(0, 63);
}

/** A fresh database per test file, cloned from the run's migrated template in well under a second. */
export async function cloneTemplateDatabase(label: string): Promise<{ name: string; url: string }> {
  if (!TEST_TEMPLATE_DB) throw new Error('Run the tests with `npm test`: GUICHET_TEST_TEMPLATE_DB is not set');
  const name = uniqueDatabaseName(label);
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${TEST_TEMPLATE_DB}"`));
  return { name, url: databaseUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

export async function listDatabases(prefix: string): Promise<string[]> {
  return admin(async (c) => (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${prefix}%`])).rows.map((r) => r.datname));
}

/**
 * The test's own connections to its database. Dropping the database WITH (FORCE) at teardown
 * ends any of them still idle, and a pool without an 'error' listener turns that into an
 * uncaught exception blamed on whichever test first opened the connection.
 */
export function pool(url: string): Pool {
  const db = new Pool({ connectionString: url, max: 4 });
  db.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') console.error('test database pool:', error);
  });
  return db;
}

/** Every row of every tenant-owned table for one company, ordered: a whole-company snapshot. */
export async function companySnapshot(db: Pool, companyId: string): Promise<Record<string, unknown[]>> {
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'company_id' ORDER BY table_name`,
  );
  const snapshot: Record<string, unknown[]> = {};
  for (const { table_name } of tables.rows) {
    const rows = await db.query(`SELECT * FROM "${table_name}" WHERE company_id = $1 ORDER BY 1, 2`, [companyId]);
    snapshot[table_name] = rows.rows;
  }
  snapshot.companies = (await db.query('SELECT * FROM companies WHERE id = $1', [companyId])).rows;
  return snapshot;
}

/**
 * Every row of every table but the migrations log, in a total order: "nothing was written"
 * in one comparison, UPDATEs included (row counts cannot see those). Rows are ordered by
 * their whole text form, so tables of any width and column type compare deterministically.
 */
export async function databaseSnapshot(db: Pool): Promise<Record<string, unknown[]>> {
  const tables = await db.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY tablename`);
  const snapshot: Record<string, unknown[]> = {};
  for (const { tablename } of tables.rows) {
    snapshot[tablename] = (await db.query(`SELECT * FROM public."${tablename}" AS t ORDER BY t::text`)).rows;
  }
  return snapshot;
}
