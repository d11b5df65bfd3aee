import { useCallback } from 'react';
import { get } from '../../api/client';
import { useSignedIn } from '../../api/session';
import type { CreditAlert, CreditPackCatalog, CreditUsage, Credits, Subscription } from '../../api/types';
import { Banner, Card, Loaded, PageHeader } from '../../components/ui';
import { formatDate } from '../../lib/dates';
import { planText } from '../../lib/labels';
import { useResource } from '../../lib/useResource';
import { CreditAlertForm } from './CreditAlertForm';
import { CreditPackForm } from './CreditPackForm';
import { CreditsCard } from './CreditsCard';
import { PlanCard } from './PlanCard';
import { PlanChange } from './PlanChange';
import { SubscriptionActions } from './SubscriptionActions';
import { UsageCharts } from './UsageCharts';

/** Org → Billing: the plan, the credits and their use this period, and what can be changed about them. */
export function BillingPage() {
  const session = useSignedIn();
  const subscription = useResource((signal) => get<Subscription>('/v1/subscription', signal), 'subscription');
  const credits = useResource((signal) => get<Credits>('/v1/credits', signal), 'credits');
  const usage = useResource((signal) => get<CreditUsage>('/v1/credits/usage', signal), 'usage');
  const alert = useResource((signal) => get<CreditAlert>('/v1/credits/alerts', signal), 'alert');
  const packs = useResource((signal) => get<CreditPackCatalog>('/v1/credit-packs', signal), 'packs');
  const { reload: reloadSubscription } = subscription;
  const { reload: reloadCredits } = credits;
  const { reload: reloadUsage } = usage;
  const { reload: reloadPacks } = packs;
  // A plan change moves the plan, the credits (a new allowance) and the pack prices (the tier's
  // discount): read them all again.
  const refresh = useCallback(() => {
    reloadSubscription();
    reloadCredits();
    reloadUsage();
    reloadPacks();
  }, [reloadSubscription, reloadCredits, reloadUsage, reloadPacks]);

  return (
    <>
      <PageHeader title="Billing">Plan, credits and usage for {session.orgName}.</PageHeader>
      {subscription.status === 'ready' ? <SubscriptionBanners subscription={subscription.data} /> : null}
      <div className="grid grid-2">
        <Card title="Plan" busy={subscription.status === 'loading'}>
          <Loaded resource={subscription} what="the subscription" lines={5}>
            {(s) => <PlanCard subscription={s} />}
          </Loaded>
        </Card>
        <Card title="Credits" busy={credits.status === 'loading'}>
          <Loaded resource={credits} what="the credit balance" lines={5}>
            {(c) => <CreditsCard credits={c} />}
          </Loaded>
        </Card>
      </div>
      <Card title="Usage this period" busy={usage.status === 'loading'}>
        <Loaded resource={usage} what="this period's usage" lines={6}>
          {(u) => <UsageCharts usage={u} />}
        </Loaded>
      </Card>
      <Card title="Change plan">
        <Loaded resource={subscription} what="the subscription" lines={3}>
          {(s) => <PlanChange subscription={s} onChanged={refresh} />}
        </Loaded>
      </Card>
      <div className="grid grid-3">
        <Card title="Cancel, pause or resume">
          <Loaded resource={subscription} what="the subscription" lines={3}>
            {(s) => <SubscriptionActions subscription={s} onChanged={refresh} />}
          </Loaded>
        </Card>
        <Card title="Credit alert" busy={alert.status === 'loading'}>
          <Loaded resource={alert} what="the credit alert" lines={3}>
            {(a) => <CreditAlertForm alert={a} />}
          </Loaded>
        </Card>
        <Card title="Buy a credit pack" busy={packs.status === 'loading'}>
          <Loaded resource={packs} what="the credit packs" lines={3}>
            {(p) => <CreditPackForm packs={p.data} onBought={refresh} />}
          </Loaded>
        </Card>
      </div>
    </>
  );
}

function SubscriptionBanners({ subscription: s }: { subscription: Subscription }) {
  return (
    <>
      {s.status === 'past_due' ? (
        <Banner tone="danger" title="A payment failed">
          The last charge was declined and is being retried. Update the card on file to keep the plan active.
        </Banner>
      ) : null}
      {s.status === 'paused' ? (
        <Banner tone="info" title="The subscription is paused">
          No renewals and no included credits until it is resumed; prepaid credits stay.
        </Banner>
      ) : null}
      {s.status === 'canceled' ? (
        <Banner tone="danger" title="The subscription is canceled">
          Resume it to subscribe again; prepaid credits stay.
        </Banner>
      ) : null}
      {s.cancelAtPeriodEnd ? (
        <Banner tone="warning" title={`The subscription ends on ${formatDate(s.currentPeriod.end)}`}>
          It was canceled at the end of the period. Resume it to keep it.
        </Banner>
      ) : null}
      {s.scheduledChange ? (
        <Banner tone="info" title={`Changing on ${formatDate(s.scheduledChange.effectiveAt)}`}>
          To {planText(s.scheduledChange)} at the renewal.
        </Banner>
      ) : null}
    </>
  );
}
