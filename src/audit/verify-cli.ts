import { runEntry } from '../cli/entry';
import { ConfigError, loadConfig, requireSetting } from '../config';
import { createDb } from '../db/pool';
import { verifyAuditChains } from './verify';

await runEntry(
  'audit:verify',
  `usage: npm run audit:verify [-- --org <orgId>]   (DATABASE_URL must be set)

Walks every org's audit chain (or one org's) and checks each row's hash, its link to the row before it,
gapless seq and the chain's head. Prints {"ok", "orgs", "events", "breaks"} as JSON, and one line per
break on stderr naming the org and seq; exits 0 on clean chains, 1 on any break (or when the database
cannot be reached), 2 when DATABASE_URL is missing.`,
  async () => {
    const args = process.argv.slice(2);
    const at = args.indexOf('--org');
    const orgId = at === -1 ? undefined : args[at + 1];
    if (at !== -1 && (orgId === undefined || orgId.startsWith('-')))
      throw new ConfigError('--org needs an org id');
    const db = createDb(requireSetting('DATABASE_URL', loadConfig().databaseUrl), { max: 1 });
    try {
      const result = await verifyAuditChains(db, { orgId });
      console.log(JSON.stringify(result));
      for (const b of result.breaks) console.error(`audit chain broken: ${b.message} (${b.problem})`);
      return result.ok ? 0 : 1;
    } finally {
      await db.destroy();
    }
  },
);
