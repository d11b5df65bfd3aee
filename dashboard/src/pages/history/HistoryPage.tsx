import { ApiError, get } from '../../api/client';
import type { Wallet } from '../../api/types';
import { Card, EmptyState, PageHeader, Skeleton } from '../../components/ui';
import { useResource } from '../../lib/useResource';
import { AuditTrail } from './AuditTrail';
import { CreditHistory } from './CreditHistory';
import { WalletTransactions } from './WalletTransactions';

/** History & audit: the credit ledger, the wallet ledger (agency orgs) and the audit trail. */
export function HistoryPage() {
  // Only to know whether the org has a wallet: a BYO org gets 409 WALLET_NOT_AVAILABLE.
  const wallet = useResource((signal) => get<Wallet>('/v1/wallet', signal), 'wallet');
  const noWallet =
    wallet.status === 'error' &&
    wallet.error instanceof ApiError &&
    wallet.error.code === 'WALLET_NOT_AVAILABLE';
  return (
    <>
      <PageHeader title="History & audit">
        Every credit and every cent that moved, and who changed what. Dates filter in UTC.
      </PageHeader>
      <Card title="Credit history">
        <CreditHistory />
      </Card>
      <Card title="Wallet transactions">
        {wallet.status === 'loading' ? (
          <Skeleton label="wallet" />
        ) : noWallet ? (
          <EmptyState title="No wallet">This organization pays ad platforms directly (BYO mode).</EmptyState>
        ) : (
          <WalletTransactions />
        )}
      </Card>
      <Card title="Audit trail">
        <AuditTrail />
      </Card>
    </>
  );
}
