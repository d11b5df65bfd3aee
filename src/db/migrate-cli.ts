import { loadConfig, requireSetting } from '../config';
import { migrateToLatest } from './migrate';
import { createDb } from './pool';

const db = createDb(requireSetting('DATABASE_URL', loadConfig().databaseUrl), { max: 1 });
try {
  const applied = await migrateToLatest(db);
  console.log(JSON.stringify({ applied }));
} finally {
  await db.destroy();
}
