import type Stripe from 'stripe';
import type { Db } from '../src/db/pool';
import { createGenerationActivities } from './generations';
import { createBillingActivities } from './billing';
import { createCreditPackActivities } from './credit-packs';
import { createInvoiceActivities } from './invoices';
import { createWalletActivities } from './wallet';
import type { AdPlatforms } from '../src/ads/platform';
import { createFakeAdPlatforms } from '../src/ads/fake';

/**
 * Every activity the worker registers, over the dependencies its entry point built. Without `stripe`
 * the payment activities fail retryably (see CreditPackActivityDeps). Without `ads` the wallet pauses and
 * resumes campaigns on the recording fake of src/ads/fake.ts: no real platform adapter exists yet.
 */
export function createActivities(deps: { db: Db; stripe?: Stripe | undefined; ads?: AdPlatforms }) {
  return {
    ...createGenerationActivities(deps.db),
    ...createCreditPackActivities({ db: deps.db, stripe: deps.stripe }),
    ...createBillingActivities({ db: deps.db, stripe: deps.stripe }),
    ...createInvoiceActivities(deps.db),
    ...createWalletActivities({
      db: deps.db,
      stripe: deps.stripe,
      ads: deps.ads ?? createFakeAdPlatforms().platforms,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
