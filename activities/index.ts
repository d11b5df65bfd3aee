import type Stripe from 'stripe';
import type { Db } from '../src/db/pool';
import { createCreditActivities } from './credits';
import { createPaymentActivities } from './payments';

/**
 * Every activity the worker registers, over the dependencies its entry point built. Without `stripe`
 * the payment activities fail retryably (see PaymentActivityDeps).
 */
export function createActivities(deps: { db: Db; stripe?: Stripe | undefined }) {
  return {
    ...createCreditActivities(deps.db),
    ...createPaymentActivities({ db: deps.db, stripe: deps.stripe }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
