import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, DEV_SECRETS, loadConfig, Role, runsHttpApi, runsWorkers } from './config';

type DevSecret = keyof typeof DEV_SECRETS;

const REAL_SECRETS: Record<DevSecret, string> = {
  JWT_SECRET: randomBytes(48).toString('hex'),
  ENCRYPTION_KEYS: `prod1:${randomBytes(32).toString('base64')}`,
  MESSENGER_APP_SECRET: randomBytes(24).toString('hex'),
  MESSENGER_VERIFY_TOKEN: randomBytes(24).toString('hex'),
};

/** Runs loadConfig, asserts it throws a ConfigError, and returns it. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  return caught;
}

describe('loadConfig', () => {
  it('builds a working configuration from defaults alone', () => {
    const config = loadConfig({});
    assert.equal(config.env, 'development');
    assert.equal(config.role, Role.All);
    assert.equal(config.http.port, 3000);
    assert.equal(config.http.host, '0.0.0.0');
    assert.equal(config.http.trustProxy, false);
    assert.equal(config.database.url, 'postgres://postgres@127.0.0.1:5432/guichet');
    assert.equal(config.database.poolSize, 10);
    assert.equal(config.database.skipMigrations, false);
    assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(config.redis.prefix, 'guichet');
    assert.equal(config.auth.jwtSecret, DEV_SECRETS.JWT_SECRET);
    assert.equal(config.auth.jwtTtlSeconds, 900);
    assert.equal(config.messenger.appSecret, DEV_SECRETS.MESSENGER_APP_SECRET);
    assert.equal(config.messenger.graphUrl, 'https://graph.facebook.com');
    assert.equal(config.shutdownTimeoutMs, 20_000);
    assert.equal(config.metricsToken, undefined);
  });

  it('reads and converts the values it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      ROLE: 'worker',
      DATABASE_URL: 'postgresql://app:pw@db:5432/prod',
      REDIS_URL: 'rediss://cache:6380',
      DB_SKIP_MIGRATIONS: 'yes',
      TRUST_PROXY: 'true',
      MESSENGER_GRAPH_URL: 'https://graph.example.test/v19.0//',
      METRICS_TOKEN: 'a-metrics-token-0123',
    });
    assert.equal(config.http.port, 8080);
    assert.equal(config.role, Role.Worker);
    assert.equal(config.database.url, 'postgresql://app:pw@db:5432/prod');
    assert.equal(config.redis.url, 'rediss://cache:6380');
    assert.equal(config.database.skipMigrations, true);
    assert.equal(config.http.trustProxy, true);
    assert.equal(config.messenger.graphUrl, 'https://graph.example.test/v19.0', 'trailing slashes are stripped');
    assert.equal(config.metricsToken, 'a-metrics-token-0123');
  });

  const badValues: Array<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3000.5'],
    ['ROLE', 'boss'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'http://x'],
    ['DATABASE_URL', 'db.example.com'],
    ['MESSENGER_GRAPH_URL', 'graph.example.com'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['SHUTDOWN_TIMEOUT_MS', '5'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DB_SKIP_MIGRATIONS', 'maybe'],
    ['JWT_SECRET', 'too-short'],
    ['ENCRYPTION_KEYS', 'k1:not-base64'],
    ['METRICS_TOKEN', 'short'],
  ];
  for (const [name, value] of badValues) {
    it(`refuses ${name}=${value} with a ConfigError naming ${name}`, () => {
      const error = configError({ [name]: value });
      assert.ok(error.problems.length > 0);
      for (const problem of error.problems) assert.ok(problem.startsWith(`${name}: `), `problem "${problem}" should name ${name}`);
      assert.match(error.message, new RegExp(`^\\s+- ${name}: `, 'm'));
    });
  }

  it('reports every bad variable at once', () => {
    const error = configError({ PORT: 'abc', ROLE: 'boss' });
    assert.ok(error.problems.some((p) => p.startsWith('PORT: ')));
    assert.ok(error.problems.some((p) => p.startsWith('ROLE: ')));
  });

  it('treats empty strings as unset, so they take the default', () => {
    const config = loadConfig({
      NODE_ENV: '',
      ROLE: '',
      PORT: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      JWT_SECRET: '',
      ENCRYPTION_KEYS: '',
      MESSENGER_APP_SECRET: '',
      SHUTDOWN_TIMEOUT_MS: '',
      TRUST_PROXY: '',
      METRICS_TOKEN: '',
    });
    assert.deepEqual(config, loadConfig({}));
    assert.equal(config.http.port, 3000);
    assert.equal(config.role, Role.All);
    assert.equal(config.database.url, 'postgres://postgres@127.0.0.1:5432/guichet');
    assert.equal(config.metricsToken, undefined);
  });

  describe('NODE_ENV=production', () => {
    for (const name of Object.keys(DEV_SECRETS) as DevSecret[]) {
      it(`refuses the development ${name}`, () => {
        const unset = configError({ ...REAL_SECRETS, NODE_ENV: 'production', [name]: undefined });
        const explicit = configError({ ...REAL_SECRETS, NODE_ENV: 'production', [name]: DEV_SECRETS[name] });
        for (const error of [unset, explicit]) {
          assert.equal(error.problems.length, 1, error.message);
          assert.ok(error.problems[0].startsWith(`${name}: `), error.problems[0]);
          assert.match(error.message, new RegExp(name));
        }
      });
    }

    it('refuses every development secret together, naming each', () => {
      const error = configError({ NODE_ENV: 'production' });
      for (const name of Object.keys(DEV_SECRETS)) assert.ok(error.problems.some((p) => p.startsWith(`${name}: `)), `${name} not named`);
    });

    it('accepts real secrets', () => {
      const config = loadConfig({ ...REAL_SECRETS, NODE_ENV: 'production' });
      assert.equal(config.env, 'production');
      assert.equal(config.auth.jwtSecret, REAL_SECRETS.JWT_SECRET);
      assert.equal(config.messenger.appSecret, REAL_SECRETS.MESSENGER_APP_SECRET);
      assert.equal(config.encryption.current.id, 'prod1');
    });

    it('development and test accept the development secrets', () => {
      assert.equal(loadConfig({ NODE_ENV: 'development' }).auth.jwtSecret, DEV_SECRETS.JWT_SECRET);
      assert.equal(loadConfig({ NODE_ENV: 'test' }).auth.jwtSecret, DEV_SECRETS.JWT_SECRET);
    });
  });

  describe('ENCRYPTION_KEYS', () => {
    it('parses into a key ring whose first key is current and every key is 32 bytes', () => {
      const first = randomBytes(32);
      const second = randomBytes(32);
      const config = loadConfig({ ENCRYPTION_KEYS: `k2:${first.toString('base64')},k1:${second.toString('base64')}` });
      assert.deepEqual(
        config.encryption.keys.map((k) => k.id),
        ['k2', 'k1'],
      );
      assert.equal(config.encryption.current.id, 'k2');
      assert.equal(config.encryption.current, config.encryption.keys[0]);
      for (const key of config.encryption.keys) assert.equal(key.key.length, 32);
      assert.ok(config.encryption.keys[0].key.equals(first));
      assert.ok(config.encryption.keys[1].key.equals(second));
    });

    it('the development default is a one-key ring of 32 bytes', () => {
      const config = loadConfig({});
      assert.equal(config.encryption.keys.length, 1);
      assert.equal(config.encryption.current.id, 'dev1');
      assert.equal(config.encryption.current.key.length, 32);
    });

    it('refuses a key that is not 32 bytes, naming the variable', () => {
      const error = configError({ ENCRYPTION_KEYS: `k1:${randomBytes(16).toString('base64')}` });
      assert.ok(error.problems[0].startsWith('ENCRYPTION_KEYS: '));
    });
  });
});

describe('runsHttpApi / runsWorkers', () => {
  it('api serves HTTP only', () => {
    assert.equal(runsHttpApi(Role.Api), true);
    assert.equal(runsWorkers(Role.Api), false);
  });

  it('worker runs workers only', () => {
    assert.equal(runsHttpApi(Role.Worker), false);
    assert.equal(runsWorkers(Role.Worker), true);
  });

  it('all does both', () => {
    assert.equal(runsHttpApi(Role.All), true);
    assert.equal(runsWorkers(Role.All), true);
  });

  it('follows the ROLE variable', () => {
    const role = loadConfig({ ROLE: 'api' }).role;
    assert.equal(role, Role.Api);
    assert.equal(runsWorkers(role), false);
  });
});
