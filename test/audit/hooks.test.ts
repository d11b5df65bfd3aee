import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/audit/actors';
import {
  createApiKeyAudited,
  disableApiKeyAudited,
  grantCreditsAudited,
  setOrganizationDisabledAudited,
} from '../../src/audit/admin';
import {
  closeCreditPeriodAudited,
  saveSubscriptionAudited,
  settleChargeAudited,
} from '../../src/audit/billing';
import { verifyAuditChains } from '../../src/audit/verify';
import {
  creditWireAudited,
  resetAutoTopUpBreakerAudited,
  setPlatformFeeBpsAudited,
  settleTopUpAudited,
} from '../../src/audit/wallet';
import { openCharge } from '../../src/billing/charges';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { claimAutoTopUp } from '../../src/wallet/ledger';
import { getWallet } from '../../src/wallet/wallets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { makeAgencyOrg } from '../wallet/support';
import { actionsOf, auditOf } from './support';

/**
 * Each audited operation records its action once, with who, before and after, in the transaction that
 * makes the change: repeats and settings set to what they were record nothing, and a refusal writes
 * neither the change nor its record. The workflows' and routes' own tests cover how they are reached.
 */
let t: TestDatabase;
const admin = adminActor('finance@example.com', {});
const by = (key: string) => ({ actor: admin, key });

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  if (t) expect(await verifyAuditChains(t.db)).toMatchObject({ ok: true, breaks: [] });
  await t?.close();
});

describe('the wallet', () => {
  it('three declined auto top-ups: each recorded as the workflow’s, the breaker once; a new card resets it once', async () => {
    const org = await makeAgencyOrg(t.db, {
      settings: {
        autoTopUp: { enabled: true, thresholdCents: 100_00, amountCents: 50_00, dailyCapCents: 500_00 },
      },
    });
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const at = new Date(Date.parse('2026-03-04T12:00:00Z') + i * 3_600_000);
      const claim = await claimAutoTopUp(t.db, {
        orgId: org.orgId,
        localDay: '2026-03-04',
        amountCents: 50_00,
        at,
      });
      if (claim.status !== 'claimed') throw new Error(claim.reason);
      keys.push(claim.topUp.key);
      const input = {
        orgId: org.orgId,
        topUpKey: claim.topUp.key,
        outcome: 'declined' as const,
        reason: 'card_declined',
        at,
      };
      await settleTopUpAudited(t.db, input);
      // The activity retried: nothing more.
      await settleTopUpAudited(t.db, input);
    }
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.action, e.key])).toEqual([
      ['wallet.top_up_failed', keys[0]],
      ['wallet.top_up_failed', keys[1]],
      ['wallet.top_up_failed', keys[2]],
      ['wallet.auto_top_up_switched_off', keys[2]],
    ]);
    expect(events[3]).toMatchObject({
      actor: `workflow:wallet:${org.orgId}`,
      before: { disabledReason: null, consecutiveDeclines: 2 },
      after: { disabledReason: 'declines', consecutiveDeclines: 3 },
      occurredAt: '2026-03-04T14:00:00.000Z',
    });
    expect(events[0]!.after).toMatchObject({
      trigger: 'auto',
      status: 'failed',
      failureReason: 'card_declined',
    });

    await resetAutoTopUpBreakerAudited(t.db, org.orgId);
    await resetAutoTopUpBreakerAudited(t.db, org.orgId);
    const reset = (await auditOf(t.db, org.orgId)).slice(4);
    expect(reset).toMatchObject([
      {
        action: 'wallet.auto_top_up_breaker_reset',
        before: { disabledReason: 'declines', consecutiveDeclines: 3 },
        after: { disabledReason: null, consecutiveDeclines: 0 },
      },
    ]);
  });

  it('a wire once per reference; the platform fee when it changes; a refused fee writes nothing', async () => {
    const org = await makeAgencyOrg(t.db);
    const wire = {
      orgId: org.orgId,
      amountCents: 1_000_00,
      reference: 'WIRE-1',
      at: new Date('2026-03-02T12:00:00Z'),
    };
    await creditWireAudited(t.db, admin, wire);
    await creditWireAudited(t.db, admin, wire);
    await setPlatformFeeBpsAudited(t.db, by('cli:1'), org.orgId, 300);
    await setPlatformFeeBpsAudited(t.db, by('cli:2'), org.orgId, 300);
    await expect(setPlatformFeeBpsAudited(t.db, by('cli:3'), org.orgId, 10_001)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.actor, e.action, e.before, e.after])).toEqual([
      [
        'admin:finance@example.com',
        'wallet.wire_credited',
        null,
        { amountCents: 1_000_00, reference: 'WIRE-1' },
      ],
      [
        'admin:finance@example.com',
        'wallet.platform_fee_updated',
        { platformFeeBps: 500 },
        { platformFeeBps: 300 },
      ],
    ]);
    expect((await getWallet(t.db, org.orgId)).platformFeeBps).toBe(300);
  });
});

describe('keys, the kill switch and grants', () => {
  it('records key creation and disabling by prefix only, the kill switch when it moves, a grant once', async () => {
    const org = await makeOrg(t.db);
    const key = await createApiKeyAudited(t.db, admin, org.orgId, { scopes: ['wallet:spend'] });
    await disableApiKeyAudited(t.db, admin, key.apiKey);
    await disableApiKeyAudited(t.db, admin, key.prefix);
    await setOrganizationDisabledAudited(t.db, by('cli:a'), org.orgId, true);
    await setOrganizationDisabledAudited(t.db, by('cli:b'), org.orgId, true);
    await setOrganizationDisabledAudited(t.db, by('cli:c'), org.orgId, false);
    const grant = {
      orgId: org.orgId,
      bucket: 'prepaid' as const,
      credits: 500,
      idempotencyKey: 'cli:grant:INV-7',
      reason: 'invoice INV-7',
    };
    await grantCreditsAudited(t.db, admin, grant);
    await grantCreditsAudited(t.db, admin, grant);
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.action, e.key, e.before, e.after])).toEqual([
      ['api_key.created', `api_key:${key.prefix}`, null, { prefix: key.prefix, scopes: ['wallet:spend'] }],
      ['api_key.disabled', `api_key:${key.prefix}`, { disabled: false }, { disabled: true }],
      ['org.disabled', 'cli:a', { disabled: false }, { disabled: true }],
      ['org.enabled', 'cli:c', { disabled: true }, { disabled: false }],
      [
        'credits.granted',
        'cli:grant:INV-7',
        null,
        { bucket: 'prepaid', credits: 500, reason: 'invoice INV-7' },
      ],
    ]);
    // The secret part of the key never reaches the trail.
    const secret = key.apiKey.slice(key.prefix.length + 1);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it('refusals write neither the change nor a record', async () => {
    const org = await makeOrg(t.db);
    await expect(createApiKeyAudited(t.db, admin, 'org_missing')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(disableApiKeyAudited(t.db, admin, 'lb_live_0000000000000000')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      grantCreditsAudited(t.db, admin, {
        orgId: org.orgId,
        bucket: 'prepaid',
        credits: -5,
        idempotencyKey: 'k',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await auditOf(t.db, org.orgId)).toEqual([]);
    const heads = await t.db.selectFrom('audit_chain_heads').select('org_id').execute();
    expect(heads.map((h) => h.org_id)).not.toContain('org_missing');
  });
});

describe('the billing workflow’s steps', () => {
  it('a period close once per period; a refused close records nothing', async () => {
    const org = await makeOrg(t.db, { tier: 'pro' });
    const snap = await getCreditsSnapshot(t.db, org.orgId);
    const start = new Date(snap.currentPeriod.start);
    const end = new Date(snap.currentPeriod.end);
    const close = {
      orgId: org.orgId,
      periodStart: start,
      at: end,
      nextPeriodEnd: new Date(end.getTime() + 30 * 86_400_000),
      allowance: 1000,
      rollover: { days: 0, cap: 0 },
    };
    await expect(closeCreditPeriodAudited(t.db, { ...close, at: start })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await closeCreditPeriodAudited(t.db, close);
    await closeCreditPeriodAudited(t.db, close);
    const events = await auditOf(t.db, org.orgId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: `workflow:org-billing:${org.orgId}`,
      action: 'billing.period_closed',
      occurredAt: end.toISOString(),
      after: { organizationId: org.orgId, start: start.toISOString(), next: { allowance: 1000 } },
    });
  });

  it('a charge: each declined attempt, its success once, nothing for pending or a late answer', async () => {
    const org = await makeOrg(t.db);
    const businessKey = `renewal:${org.orgId}:2026-03-01T00:00:00.000Z`;
    const lines = [{ description: 'Pro (month)', amountCents: 10_900 }];
    await openCharge(t.db, {
      orgId: org.orgId,
      businessKey,
      kind: 'renewal',
      amountCents: 10_900,
      lines,
      at: new Date('2026-03-01T00:00:00Z'),
    });
    await settleChargeAudited(t.db, businessKey, {
      status: 'failed',
      attempts: 1,
      declineCode: 'card_declined',
    });
    await settleChargeAudited(t.db, businessKey, { status: 'pending', attempts: 2, paymentIntentId: 'pi_2' });
    await settleChargeAudited(t.db, businessKey, {
      status: 'failed',
      attempts: 2,
      declineCode: 'card_declined',
    });
    await settleChargeAudited(t.db, businessKey, {
      status: 'succeeded',
      attempts: 3,
      paymentIntentId: 'pi_3',
    });
    await settleChargeAudited(t.db, businessKey, {
      status: 'succeeded',
      attempts: 3,
      paymentIntentId: 'pi_3',
    });
    await settleChargeAudited(t.db, businessKey, { status: 'failed', attempts: 4, declineCode: 'late' });
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.action, e.key])).toEqual([
      ['billing.charge_declined', businessKey],
      ['billing.charge_declined', `${businessKey}#2`],
      ['billing.charge_succeeded', businessKey],
    ]);
    expect(events[2]!.after).toEqual({
      kind: 'renewal',
      amountCents: 10_900,
      lines,
      attempt: 3,
      paymentIntentId: 'pi_3',
    });
  });

  it('a saved subscription when its state changes; an older change saved late records nothing', async () => {
    const org = await makeOrg(t.db, { tier: 'pro' });
    const base = {
      orgId: org.orgId,
      tier: 'pro' as const,
      interval: 'month' as const,
      seats: 1,
      status: 'active' as const,
      anchor: new Date('2026-03-01T00:00:00Z'),
      period: { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-04-01T00:00:00Z') },
      scheduledChange: null,
      cancelAtPeriodEnd: false,
    };
    await saveSubscriptionAudited(t.db, { ...base, changedAt: new Date('2026-03-01T00:00:00Z') });
    await saveSubscriptionAudited(t.db, { ...base, changedAt: new Date('2026-03-02T00:00:00Z') });
    await saveSubscriptionAudited(t.db, {
      ...base,
      cancelAtPeriodEnd: true,
      changedAt: new Date('2026-03-10T00:00:00Z'),
    });
    await saveSubscriptionAudited(t.db, { ...base, seats: 4, changedAt: new Date('2026-03-05T00:00:00Z') });
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.action, e.key])).toEqual([
      ['subscription.updated', 'subscription:2026-03-01T00:00:00.000Z'],
      ['subscription.updated', 'subscription:2026-03-10T00:00:00.000Z'],
    ]);
    expect(events[0]!.before).toBeNull();
    expect(events[1]).toMatchObject({
      actor: `workflow:org-billing:${org.orgId}`,
      before: { cancelAtPeriodEnd: false, seats: 1, tier: 'pro' },
      after: { cancelAtPeriodEnd: true, seats: 1, tier: 'pro' },
      occurredAt: '2026-03-10T00:00:00.000Z',
    });
    expect(await actionsOf(t.db, org.orgId)).toHaveLength(2);
  });
});
