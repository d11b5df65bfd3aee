import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGenerationActivities } from '../../activities/generations';
import { setCreditAlert } from '../../src/billing/credit-alerts';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import type { Notifier, OutboxNotification } from '../../src/notify/notifier';
import { deliverPending, pendingNotifications } from '../../src/notify/outbox';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

let gen = 0;
const reserve = (orgId: string, projectId: string) =>
  createGenerationActivities(t.db).reserveCredits({
    orgId,
    projectId,
    generationId: `gen_alert_${++gen}`,
    format: 'video_remix',
  });

const alertsOf = async (orgId: string) =>
  (await pendingNotifications(t.db)).filter((n) => n.orgId === orgId && n.kind === 'credit_alert');

/** A notifier that keeps what it was sent, as an email adapter would send it. */
function collecting(): Notifier & { sent: OutboxNotification[] } {
  const sent: OutboxNotification[] = [];
  return { sent, send: async (n) => void sent.push(n) };
}

describe('credit alerts', () => {
  it('notify once per period when a debit first leaves available below the threshold', async () => {
    // plus: 100 included credits; video_remix holds 120, so prepaid tops the balance up to 400.
    const org = await makeOrg(t.db, { tier: 'plus', prepaid: 300 });
    await setCreditAlert(t.db, org.orgId, 200);
    await reserve(org.orgId, org.projectId); // 280 available: above the threshold
    expect(await alertsOf(org.orgId)).toEqual([]);
    await reserve(org.orgId, org.projectId); // 160: below
    await reserve(org.orgId, org.projectId); // 40: still below, already told
    const alerts = await alertsOf(org.orgId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.payload).toMatchObject({ thresholdCredits: 200, availableCredits: 160 });

    const notifier = collecting();
    expect(await deliverPending(t.db, notifier)).toBeGreaterThanOrEqual(1);
    expect(notifier.sent.filter((n) => n.orgId === org.orgId)).toHaveLength(1);
    expect(await alertsOf(org.orgId)).toEqual([]);
    expect(await deliverPending(t.db, notifier)).toBe(0);
  });

  it('stay silent without a threshold, and a new threshold may fire again', async () => {
    const org = await makeOrg(t.db, { tier: 'plus', prepaid: 300 });
    await reserve(org.orgId, org.projectId);
    expect(await alertsOf(org.orgId)).toEqual([]);
    await setCreditAlert(t.db, org.orgId, 500); // already below: the next debit tells
    await reserve(org.orgId, org.projectId);
    expect(await alertsOf(org.orgId)).toHaveLength(1);
    await setCreditAlert(t.db, org.orgId, null);
    expect(
      await t.db.selectFrom('credit_alerts').selectAll().where('org_id', '=', org.orgId).execute(),
    ).toEqual([]);
  });

  it('refuse a threshold that is not a whole number of credits, writing nothing', async () => {
    const org = await makeOrg(t.db, { tier: 'plus' });
    for (const bad of [0, -1, 1.5, '10', undefined]) {
      await expect(setCreditAlert(t.db, org.orgId, bad)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    await expect(setCreditAlert(t.db, 'org_missing', 10)).rejects.toBeInstanceOf(DomainError);
    expect(
      await t.db.selectFrom('credit_alerts').selectAll().where('org_id', '=', org.orgId).execute(),
    ).toEqual([]);
  });
});
