import type { Credits } from '../../api/types';
import { Credits as CreditCount, Stat, StatGrid } from '../../components/ui';
import { formatDate } from '../../lib/dates';
import { formatCredits } from '../../lib/numbers';

/**
 * The snapshot's figures as the API gives them. The split of the balance: includedRemaining counts the
 * rolled-over credits, so this period's included credits are includedRemaining − rolledOverCredits, and
 * the three parts add up to the balance.
 */
export function CreditsCard({ credits: c }: { credits: Credits }) {
  const includedThisPeriod = c.includedRemaining - c.rolledOverCredits;
  return (
    <>
      <StatGrid>
        <Stat label="Balance" value={<CreditCount value={c.balance} />} testId="credits-balance" emphasis />
        <Stat
          label="Available"
          value={<CreditCount value={c.available} />}
          testId="credits-available"
          emphasis
        />
        <Stat
          label="Reserved"
          value={<CreditCount value={c.reservedCredits} />}
          testId="credits-reserved"
          hint="Held by running generations"
        />
      </StatGrid>
      <h3 className="subheading">What the balance is made of</h3>
      <StatGrid>
        <Stat
          label="Included"
          value={<CreditCount value={includedThisPeriod} />}
          testId="credits-included"
          hint={`of ${formatCredits(c.includedThisPeriod)} this period`}
        />
        <Stat
          label="Rolled over"
          value={<CreditCount value={c.rolledOverCredits} />}
          testId="credits-rolled-over"
          hint={c.rolloverExpiresAt ? `Earliest expire ${formatDate(c.rolloverExpiresAt)}` : 'Used first'}
        />
        <Stat
          label="Prepaid"
          value={<CreditCount value={c.prepaidBalance} />}
          testId="credits-prepaid"
          hint="Packs; never expire while active"
        />
      </StatGrid>
      <p className="muted small">
        Used this period:{' '}
        <span className="num" data-testid="credits-used">
          {formatCredits(c.usedThisPeriod)}
        </span>{' '}
        credits.
      </p>
    </>
  );
}
