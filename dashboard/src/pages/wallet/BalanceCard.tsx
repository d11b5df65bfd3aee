import type { Wallet } from '../../api/types';
import { Money, Stat, StatGrid } from '../../components/ui';
import { formatBps } from '../../lib/money';

export function BalanceCard({ wallet: w }: { wallet: Wallet }) {
  return (
    <StatGrid>
      <Stat
        label="Balance"
        value={<Money cents={w.balanceCents} />}
        testId="wallet-balance"
        hint="Settled funds: the only money spend uses"
        emphasis
      />
      <Stat
        label="Pending"
        value={<Money cents={w.pendingCents} />}
        testId="wallet-pending"
        hint="Top-ups on their way"
      />
      <Stat
        label="Floor"
        value={<Money cents={w.floorCents} />}
        testId="wallet-floor"
        hint={
          <>
            Ads pause below it and resume at <Money cents={w.resumeAtCents} />
          </>
        }
      />
      <Stat label="Platform fee" value={formatBps(w.platformFeeBps)} testId="wallet-fee" hint="On ad spend" />
    </StatGrid>
  );
}
