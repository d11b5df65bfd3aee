import { runEntry } from '../cli/entry';
import { loadConfig, requireSetting } from '../config';
import { migrateToLatest } from './migrate';
import { createDb } from './pool';

await runEntry(
  'migrate',
  `usage: npm run migrate   (DATABASE_URL must be set)

Applies the migrations the database does not have yet and prints {"applied": [...]} as JSON.`,
  async () => {
    const db = createDb(requireSetting('DATABASE_URL', loadConfig().databaseUrl), { max: 1 });
    try {
      const applied = await migrateToLatest(db);
      console.log(JSON.stringify({ applied }));
    } finally {
      await db.destroy();
    }
  },
);
