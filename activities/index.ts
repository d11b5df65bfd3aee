import type { Db } from '../src/db/pool';
import { gatewayFromEnv } from '../src/payments/stripe';
import { createCreditActivities } from './credits';
import { createPaymentActivities, type PaymentActivityDeps } from './payments';

/**
 * Every activity the worker registers, built over its dependencies. Without `payments`, the Stripe
 * gateway comes from the environment on first use.
 */
export function createActivities(deps: { db: Db; payments?: Omit<PaymentActivityDeps, 'db'> }) {
  return {
    ...createCreditActivities(deps.db),
    ...createPaymentActivities({ db: deps.db, gateway: gatewayFromEnv(), ...deps.payments }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
