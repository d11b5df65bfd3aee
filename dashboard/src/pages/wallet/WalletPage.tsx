import { useCallback, useState } from 'react';
import { ApiError, get } from '../../api/client';
import type { Wallet } from '../../api/types';
import { Banner, Card, ErrorState, PageHeader, Skeleton } from '../../components/ui';
import { formatDateTime } from '../../lib/dates';
import { formatCents } from '../../lib/money';
import { useResource } from '../../lib/useResource';
import { WalletTransactions } from '../history/WalletTransactions';
import { AutoTopUpForm } from './AutoTopUpForm';
import { BalanceCard } from './BalanceCard';
import { FloorForm } from './FloorForm';
import { PendingFunds } from './PendingFunds';
import { RunwayCard } from './RunwayCard';
import { SpendCharts } from './SpendCharts';
import { TopUpForm } from './TopUpForm';
import { WithdrawForm } from './WithdrawForm';

/** Org → Wallet: the agency ad-spend wallet, or why a BYO org has none. */
export function WalletPage() {
  const wallet = useResource((signal) => get<Wallet>('/v1/wallet', signal), 'wallet');
  // Bumped after anything that moves money, so the statement and the charts read again.
  const [moved, setMoved] = useState(0);
  const { reload } = wallet;
  const onMoved = useCallback(() => {
    reload();
    setMoved((n) => n + 1);
  }, [reload]);

  if (
    wallet.status === 'error' &&
    wallet.error instanceof ApiError &&
    wallet.error.code === 'WALLET_NOT_AVAILABLE'
  ) {
    return <ByoWallet />;
  }
  return (
    <>
      <PageHeader title="Wallet">
        Funds ad-platform spend in agency mode: spend and the platform fee are debited here, per project.
      </PageHeader>
      {wallet.status === 'loading' ? (
        <Card title="Balance" busy>
          <Skeleton lines={4} label="the wallet" />
        </Card>
      ) : wallet.status === 'error' ? (
        <Card title="Balance">
          <ErrorState error={wallet.error} onRetry={wallet.reload} what="the wallet" />
        </Card>
      ) : (
        <WalletBody wallet={wallet.data} moved={moved} onMoved={onMoved} onSaved={reload} />
      )}
    </>
  );
}

function WalletBody({
  wallet: w,
  moved,
  onMoved,
  onSaved,
}: {
  wallet: Wallet;
  moved: number;
  onMoved: () => void;
  onSaved: () => void;
}) {
  return (
    <>
      {w.adsPaused.paused ? (
        <Banner tone="danger" title="Ads are paused">
          {w.adsPaused.reason === 'below_floor'
            ? `The balance fell below the floor of ${formatCents(w.floorCents)}`
            : `Reason: ${w.adsPaused.reason ?? 'not given'}`}
          {w.adsPaused.since ? ` on ${formatDateTime(w.adsPaused.since)}` : ''}. They resume once the balance
          is back to {formatCents(w.resumeAtCents)}: top up below.
        </Banner>
      ) : null}
      {w.autoTopUp.disabledReason === 'declines' ? (
        <Banner tone="warning" title="Auto-top-up was switched off">
          The card was declined {w.autoTopUp.consecutiveDeclines} times in a row. Add a working card, then
          switch it on again.
        </Banner>
      ) : null}
      <div className="grid grid-2">
        <Card title="Balance">
          <BalanceCard wallet={w} />
        </Card>
        <Card title="Pending funds">
          <PendingFunds wallet={w} />
        </Card>
      </div>
      <Card title="Runway forecast">
        <RunwayCard wallet={w} />
      </Card>
      <Card title="Spend">
        <SpendCharts version={moved} />
      </Card>
      <div className="grid grid-2">
        <Card title="Top up">
          <TopUpForm onToppedUp={onMoved} />
        </Card>
        <Card title="Auto-top-up">
          <AutoTopUpForm wallet={w} onSaved={onSaved} />
        </Card>
        <Card title="Floor">
          <FloorForm wallet={w} onSaved={onSaved} />
        </Card>
        <Card title="Withdraw">
          <WithdrawForm wallet={w} onWithdrawn={onMoved} />
        </Card>
      </div>
      <Card title="Transactions">
        <WalletTransactions version={moved} />
      </Card>
    </>
  );
}

function ByoWallet() {
  return (
    <>
      <PageHeader title="Wallet" />
      <Card title="This organization has no wallet">
        <div className="stack prose" data-testid="byo-wallet">
          <p>
            It is in <strong>BYO mode</strong> (bring your own ad accounts): Meta, TikTok and Google charge
            your own card on file directly, so there is nothing for Layers to fund and no platform fee.
          </p>
          <p>
            Your Layers invoice still includes the subscription, generation credits and usage, but no
            media-spend lines. In <strong>agency mode</strong>, Layers pays the platforms from an org wallet
            you top up by card or ACH, and bills spend plus the platform fee on one invoice. Ask your account
            manager to switch modes.
          </p>
        </div>
      </Card>
    </>
  );
}
