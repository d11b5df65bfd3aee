import { loadConfig, requireSetting } from '../config';
import { createDb } from '../db/pool';
import { findDrift } from './reconcile';

const db = createDb(requireSetting('DATABASE_URL', loadConfig().databaseUrl), { max: 1 });
try {
  const drift = await findDrift(db);
  console.log(JSON.stringify({ ok: drift.length === 0, drift }));
  process.exitCode = drift.length === 0 ? 0 : 1;
} finally {
  await db.destroy();
}
