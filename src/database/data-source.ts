import { join } from 'node:path';
import { type DataSourceOptions } from 'typeorm';
import { type AppConfig } from '../config/config';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/** One definition of the connection, shared by the service, the migration CLI and the tests. */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: [join(__dirname, '..', '**', '*.entity.js')],
    migrations: [join(__dirname, '..', '..', 'migrations', '*.js')],
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension has to be installed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: config.database.poolSize,
      application_name: `guichet-${config.role}`,
      // Short indexed queries only: JIT compiling one costs ~150 ms, and a parallel plan takes the
      // cores other requests need. Both fired on search at 10M messages, whose prefix matches the
      // planner overestimates (880 ms p50 with them, under a millisecond without).
      options: '-c jit=off -c max_parallel_workers_per_gather=0',
    },
  };
}
