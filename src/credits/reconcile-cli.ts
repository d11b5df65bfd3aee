import { runEntry } from '../cli/entry';
import { loadConfig, requireSetting } from '../config';
import { createDb } from '../db/pool';
import { findDrift } from './reconcile';

await runEntry(
  'reconcile',
  `usage: npm run reconcile   (DATABASE_URL must be set)

Replays the credit ledger and the wallet ledger and compares them with every balance. Prints {"ok", "drift"} as JSON;
exits 0 when there is no drift, 1 when there is (or the database cannot be reached), 2 when
DATABASE_URL is missing.`,
  async () => {
    const db = createDb(requireSetting('DATABASE_URL', loadConfig().databaseUrl), { max: 1 });
    try {
      const drift = await findDrift(db);
      console.log(JSON.stringify({ ok: drift.length === 0, drift }));
      return drift.length === 0 ? 0 : 1;
    } finally {
      await db.destroy();
    }
  },
);
