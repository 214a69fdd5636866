/** What the test runner (test/run.ts) hands every test process. */
export const TEST_ADMIN_DATABASE_URL = process.env.GUICHET_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.GUICHET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_RUN_ID = process.env.GUICHET_TEST_RUN_ID ?? `adhoc${process.pid}`;
export const TEST_TEMPLATE_DB = process.env.GUICHET_TEST_TEMPLATE_DB ?? '';

export function databaseUrl(name: string): string {
  const url = new URL(TEST_ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
