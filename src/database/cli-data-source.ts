import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from './data-source';

/** For the TypeORM CLI only (`npm run migration:*`); the service builds its own from the same options. */
export default new DataSource(dataSourceOptions(loadConfig()));
