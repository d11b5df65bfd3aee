import type { Subscription } from '../../api/types';
import { Badge, Money, Stat, StatGrid } from '../../components/ui';
import { daysLeft, formatDate, formatPeriod } from '../../lib/dates';
import { intervalName, perInterval, seatsText, STATUS_TEXT, statusTone, tierName } from '../../lib/labels';

export function PlanCard({ subscription: s }: { subscription: Subscription }) {
  const left = daysLeft(s.currentPeriod.end);
  return (
    <>
      <div className="plan-title">
        <span className="plan-name" data-testid="plan-tier">
          {tierName(s.tier)}
        </span>
        <Badge tone={statusTone(s.status)}>
          <span data-testid="plan-status">{STATUS_TEXT[s.status]}</span>
        </Badge>
      </div>
      <StatGrid>
        <Stat label="Billed" value={intervalName(s.interval)} testId="plan-interval" />
        <Stat label="Seats" value={seatsText(s.seats)} testId="plan-seats" />
        <Stat
          label={`Price ${perInterval(s.interval)}`}
          value={<Money cents={s.price.totalCents} />}
          testId="plan-price"
          hint={
            s.price.extraSeats > 0
              ? `${seatsText(s.price.extraSeats)} beyond the plan's ${s.tierPrices.includedSeats}`
              : undefined
          }
        />
        <Stat
          label="Current period"
          value={formatPeriod(s.currentPeriod.start, s.currentPeriod.end)}
          testId="plan-period"
          hint={<span data-testid="plan-days-left">{left === 1 ? '1 day left' : `${left} days left`}</span>}
        />
        <Stat
          label="Next renewal"
          value={s.nextRenewalAt ? formatDate(s.nextRenewalAt) : 'None'}
          testId="plan-next-renewal"
          hint={s.cancelAtPeriodEnd ? 'Ends at the period end' : undefined}
        />
      </StatGrid>
    </>
  );
}
