import 'reflect-metadata';
import { loadConfig } from '../src/config/config';
import { migrate } from '../src/database/migrate';

/** `npm run migration:run`: the same locked runner the api uses at boot. */
migrate(loadConfig()).then(
  (applied) => console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Schema up to date'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
