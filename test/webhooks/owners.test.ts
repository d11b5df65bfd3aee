import { defineSignal } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/pool';
import type { RoutedStripeEvent } from '../../src/stripe/webhooks';
import {
  findEventOwner,
  STRIPE_EVENT_OWNERS,
  type StripeEventOwner,
  type StripeEventNudge,
} from '../../src/webhooks/owners';

const signal = defineSignal<[StripeEventNudge]>('nudge');
const event = (businessKey: string | null): RoutedStripeEvent => ({
  kind: 'payment_succeeded',
  eventId: 'evt_1',
  businessKey,
  objectId: 'pi_1',
  paymentIntentId: 'pi_1',
  customerId: 'cus_1',
});

/** An owner that records what it was asked and answers for the keys it issued (or for every keyless event). */
function owner(prefix: string, answersKeyless: boolean, asked: string[]): StripeEventOwner {
  return {
    prefixes: [prefix],
    async find(_db, e) {
      asked.push(prefix);
      if (e.businessKey === null && !answersKeyless) return undefined;
      return { workflowId: `${prefix}${e.businessKey ?? e.paymentIntentId}`, signal };
    },
  };
}

// The table's lookup never touches the database itself; the owners below do not either.
const db = undefined as unknown as Db;

describe('the Stripe event owners table', () => {
  it('hands an event to the one owner whose prefix its business key carries', async () => {
    const asked: string[] = [];
    const owners = [owner('credit-pack:', false, asked), owner('renewal:', false, asked)];
    expect(await findEventOwner(db, event('renewal:org_1:2026-01-31'), owners)).toMatchObject({
      workflowId: 'renewal:renewal:org_1:2026-01-31',
    });
    expect(asked).toEqual(['renewal:']);
  });

  it('finds no owner for a key with a prefix nobody registered, without asking anyone', async () => {
    const asked: string[] = [];
    expect(
      await findEventOwner(db, event('invoice:in_1'), [owner('credit-pack:', true, asked)]),
    ).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('asks every owner in turn about an event with no business key, first answer wins', async () => {
    const asked: string[] = [];
    const owners = [owner('a:', false, asked), owner('b:', true, asked), owner('c:', true, asked)];
    expect(await findEventOwner(db, event(null), owners)).toMatchObject({ workflowId: 'b:pi_1' });
    expect(asked).toEqual(['a:', 'b:']);
  });

  it('registers every domain that creates Stripe objects, each under its own prefix', () => {
    const prefixes = STRIPE_EVENT_OWNERS.flatMap((o) => o.prefixes);
    expect(prefixes).toContain('credit-pack:');
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});
