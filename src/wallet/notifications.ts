import { sql } from 'kysely';
import type { Db } from '../db/pool';

/**
 * The wallet's notifications, written to the outbox (src/notify) under a business key, so a retried
 * activity or a repeated decision notifies once:
 * - `wallet_cap_reached`: today's auto-top-up cap is spent (one per org and local day);
 * - `wallet_auto_top_up_off`: three declines in a row switched auto-top-up off (one per tripping decline);
 * - `wallet_top_up_failed`: a top-up the org asked for failed (an ACH return, a declined card);
 * - `wallet_ads_paused` / `wallet_ads_resumed`: with the reason and the balance that decided it.
 */
export type WalletNotificationKind =
  | 'wallet_cap_reached'
  | 'wallet_auto_top_up_off'
  | 'wallet_top_up_failed'
  | 'wallet_ads_paused'
  | 'wallet_ads_resumed';

export async function notifyOrg(
  db: Db,
  n: {
    orgId: string;
    kind: WalletNotificationKind;
    businessKey: string;
    payload: Record<string, unknown>;
    at: Date;
  },
): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`
    INSERT INTO notifications (org_id, kind, business_key, payload, created_at)
    VALUES (${n.orgId}, ${n.kind}, ${n.businessKey}, ${JSON.stringify(n.payload)}::jsonb, ${n.at})
    ON CONFLICT (business_key) DO NOTHING
    RETURNING id
  `.execute(db);
  return rows.length > 0;
}
