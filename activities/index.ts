import type Stripe from 'stripe';
import type { Db } from '../src/db/pool';
import { createGenerationActivities } from './generations';
import { createBillingActivities } from './billing';
import { createCreditPackActivities } from './credit-packs';

/**
 * Every activity the worker registers, over the dependencies its entry point built. Without `stripe`
 * the payment activities fail retryably (see CreditPackActivityDeps).
 */
export function createActivities(deps: { db: Db; stripe?: Stripe | undefined }) {
  return {
    ...createGenerationActivities(deps.db),
    ...createCreditPackActivities({ db: deps.db, stripe: deps.stripe }),
    ...createBillingActivities({ db: deps.db, stripe: deps.stripe }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
