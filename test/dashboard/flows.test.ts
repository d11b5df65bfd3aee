import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { format, parseISO } from 'date-fns';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPdfText } from '../invoices/pdf-text';
import { credits, openPage, settled, signIn, tableCells, textOf, usd } from './pages';
import { seedAgencyOrg, seedByoOrg, seedPendingAchOrg, type SeededOrg } from './seed';
import { startDashboardStack, type DashboardStack } from './stack';

/**
 * The dashboard in a real browser against `npm run dev`: signing in, the billing numbers against the
 * API's, a plan change through its preview, a wallet top-up, the auto-top-up cap, invoice downloads, and
 * another org's key seeing nothing of this one.
 */
let stack: DashboardStack;
let org: SeededOrg;
let other: { orgId: string; name: string; apiKey: string };

beforeAll(async () => {
  stack = await startDashboardStack();
  org = await seedAgencyOrg(stack);
  other = await seedByoOrg(stack);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

const api = (path: string, key = org.apiKey) => stack.call('GET', path, { key });

/** The packs the billing page offers: each radio's label and the price shown with it. */
function packPrices(page: Page): Promise<string[][]> {
  return page
    .getByRole('form', { name: 'Buy a credit pack' })
    .locator('label.radio')
    .evaluateAll((labels) =>
      labels.map((l) => [
        l.querySelector('.radio-label')?.textContent?.trim() ?? '',
        l.querySelector('.radio-description')!.textContent!.trim().split(/\s+/)[0]!,
      ]),
    );
}

/** GET /v1/credit-packs as the page should show it: credits and the org's price. */
async function listedPackPrices(key: string): Promise<string[][]> {
  const packs = (await api('/v1/credit-packs', key)).body.data;
  return packs.map((p: { credits: number; amountCents: number }) => [
    `${credits(p.credits)} credits`,
    usd(p.amountCents),
  ]);
}

describe('signing in', () => {
  it('asks for a key, refuses a wrong one, and opens the org with a dashboard key', async () => {
    const { context, page } = await stack.newPage();
    await page.goto('/dashboard/billing');
    // The app asks whether a session exists before it shows anything: wait for its answer.
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    // Nothing of any org is shown before the session is confirmed.
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);

    await page.getByLabel('API key').fill('lb_live_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key is not valid').waitFor();

    await page.getByLabel('API key').fill(org.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    expect(await textOf(page, 'org-name')).toBe(org.name);
    const cookie = (await context.cookies()).find((c) => c.name === 'lb_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // The key itself is kept nowhere in the page's storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).not.toContain(org.apiKey);

    // A reload keeps the session (the cookie), and signing out ends it.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await context.close();
  });

  it("refuses a key without the dashboard scope, and npm run dev's one-time link signs in the demo org", async () => {
    const { context, page } = await stack.newPage();
    const partnerKey = (await import('../../src/auth/api-keys')).createApiKey(stack.db, org.orgId);
    await page.goto('/dashboard/');
    await page.getByLabel('API key').fill((await partnerKey).apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('it needs the dashboard scope').waitFor();

    await page.goto(stack.demo.signInLink);
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    expect(await textOf(page, 'org-name')).toBe('Demo org');
    // Used once: the same link again lands on the sign-in form, saying why.
    const { context: second, page: again } = await stack.newPage();
    await again.goto(stack.demo.signInLink);
    await again.getByText('That sign-in link has expired or was already used').waitFor();
    await Promise.all([context.close(), second.close()]);
  });
});

describe('the billing page', () => {
  it('shows exactly the numbers of GET /v1/credits and GET /v1/subscription', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await settled(page);
    const c = (await api('/v1/credits')).body;
    const s = (await api('/v1/subscription')).body;
    expect(c.organizationId).toBe(org.orgId);

    expect(await textOf(page, 'credits-balance')).toBe(credits(c.balance));
    expect(await textOf(page, 'credits-available')).toBe(credits(c.available));
    expect(await textOf(page, 'credits-reserved')).toBe(credits(c.reservedCredits));
    expect(await textOf(page, 'credits-included')).toBe(credits(c.includedRemaining - c.rolledOverCredits));
    expect(await textOf(page, 'credits-rolled-over')).toBe(credits(c.rolledOverCredits));
    expect(await textOf(page, 'credits-prepaid')).toBe(credits(c.prepaidBalance));
    expect(await textOf(page, 'credits-used')).toBe(credits(c.usedThisPeriod));
    // The three parts on the page add up to the balance on the page.
    const parts = ['credits-included', 'credits-rolled-over', 'credits-prepaid'];
    const shown = await Promise.all(
      parts.map(async (id) => Number((await textOf(page, id)).replace(/,/g, ''))),
    );
    expect(shown.reduce((a, b) => a + b, 0)).toBe(c.balance);

    expect(await textOf(page, 'plan-tier')).toBe('Pro');
    expect(await textOf(page, 'plan-status')).toBe('Active');
    expect(await textOf(page, 'plan-interval')).toBe(s.interval === 'month' ? 'Monthly' : 'Yearly');
    expect(await textOf(page, 'plan-seats')).toBe(`${s.seats} seat${s.seats === 1 ? '' : 's'}`);
    expect(await textOf(page, 'plan-price')).toBe(usd(s.price.totalCents));
    // The usage charts' figures are GET /v1/credits/usage's, per day and per project.
    const u = (await api('/v1/credits/usage')).body;
    expect(u.totalCredits).toBeGreaterThan(0);
    expect(await textOf(page, 'usage-total')).toBe(credits(u.totalCredits));
    expect(await tableCells(page, 'usage-by-project')).toEqual(
      u.byProject.map((p: { projectName: string; credits: number }) => [p.projectName, credits(p.credits)]),
    );
    expect(await tableCells(page, 'usage-by-day')).toEqual(
      u.byDay.map((d: { date: string; credits: number }) => [
        format(parseISO(d.date), 'MMM d'),
        credits(d.credits),
      ]),
    );
    const days = Math.ceil((Date.parse(s.currentPeriod.end) - Date.now()) / 86_400_000);
    expect(await textOf(page, 'plan-days-left')).toMatch(new RegExp(`^(${days}|${days - 1}) days? left$`));
    await context.close();
  });

  it('changes plan through the exact preview and shows the new tier and the charge', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await settled(page);
    await page.getByLabel('New plan').selectOption('team');
    await page.getByRole('button', { name: 'Preview change' }).click();
    const preview = page.getByTestId('plan-preview');
    await preview.waitFor();
    expect(await preview.getByRole('heading').innerText()).toContain(
      'Pro, monthly, 1 seat → Team, monthly, 1 seat',
    );
    // The same preview, asked of the API: the page shows its lines and total to the cent.
    const asked = (
      await stack.call('POST', '/v1/subscription/preview', { key: org.apiKey, json: { tier: 'team' } })
    ).body;
    expect(asked.settlement).toBe('charge');
    const lines = await page.getByTestId('plan-preview-lines').locator('tbody tr').allInnerTexts();
    expect(lines.length).toBe(asked.lines.length);
    const amounts = lines.map((l) => l.split('\t').at(-1)!.trim());
    expect(amounts).toEqual(asked.lines.map((l: { amountCents: number }) => usd(l.amountCents)));
    const previewTotal = await textOf(page, 'plan-preview-total');
    expect(previewTotal).toMatch(/^Charged to the card on file now: \$[\d,]+\.\d\d$/);
    // Computed a moment apart, the two previews may differ by a second of proration: the cents agree
    // within the price of a few seconds of the difference ($401 a month is well under a cent a second).
    const shownCents = Number(previewTotal.replace(/[^\d]/g, ''));
    expect(Math.abs(shownCents - asked.totalCents)).toBeLessThanOrEqual(5);

    await page.getByRole('button', { name: 'Confirm change' }).click();
    const result = page.getByTestId('plan-change-result');
    await result.waitFor({ timeout: 30_000 });
    await settled(page);
    const after = (await api('/v1/subscription')).body;
    expect(after.tier).toBe('team');
    expect(await textOf(page, 'plan-tier')).toBe('Team');
    expect(await textOf(page, 'plan-price')).toBe(usd(after.price.totalCents));
    // The charge the page reports is the one the change made: the billing history of the org's charges.
    const charged = await stack.db
      .selectFrom('billing_charges')
      .select(['amount_cents', 'kind'])
      .where('org_id', '=', org.orgId)
      .where('kind', '=', 'upgrade')
      .executeTakeFirstOrThrow();
    expect(await result.innerText()).toContain(
      `Charged to the card on file now: ${usd(Number(charged.amount_cents))}`,
    );
    expect(await result.innerText()).toContain('Now on Team, monthly, 1 seat.');
    // And the credits card moved to the new allowance, as the API has it.
    const c = (await api('/v1/credits')).body;
    expect(await textOf(page, 'credits-balance')).toBe(credits(c.balance));
    await context.close();
  });

  it('buys a credit pack at the price it showed, and sets the credit alert', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await settled(page);
    // Every pack at GET /v1/credit-packs's price for this org (its tier's discount taken off).
    expect(await packPrices(page)).toEqual(await listedPackPrices(org.apiKey));
    const pack = page.getByRole('radio', { name: /^100 credits/ });
    const label = page.locator('label.radio', { has: pack });
    const shownPrice = (await label.locator('.radio-description').innerText()).trim().split(/\s+/)[0]!;
    await pack.check();
    await page.getByRole('button', { name: 'Buy with card on file' }).click();
    const result = page.getByTestId('credit-pack-result');
    await result.waitFor({ timeout: 30_000 });
    const bought = await stack.db
      .selectFrom('credit_pack_purchases')
      .select(['amount_cents', 'credits', 'status'])
      .where('org_id', '=', org.orgId)
      .executeTakeFirstOrThrow();
    expect(bought).toMatchObject({ credits: 100, status: 'succeeded' });
    expect(shownPrice).toBe(usd(Number(bought.amount_cents)));
    expect(await result.innerText()).toBe(`Added 100 prepaid credits for ${shownPrice}.`);
    await settled(page);
    const c = (await api('/v1/credits')).body;
    expect(await textOf(page, 'credits-prepaid')).toBe(credits(c.prepaidBalance));
    expect(await textOf(page, 'credits-balance')).toBe(credits(c.balance));

    // The alert opens as GET /v1/credits/alerts has it: none yet.
    expect((await api('/v1/credits/alerts')).body.thresholdCredits).toBeNull();
    expect(await textOf(page, 'credit-alert-current')).toBe('Off');
    await page.getByLabel('Alert below (credits)').fill('250');
    await page.getByRole('button', { name: 'Save alert' }).click();
    await page.getByText('Alert set: below 250 credits.').waitFor();
    const alert = await stack.db
      .selectFrom('credit_alerts')
      .select('threshold_credits')
      .where('org_id', '=', org.orgId)
      .executeTakeFirstOrThrow();
    expect(Number(alert.threshold_credits)).toBe(250);
    // After a reload the form shows the stored threshold, the one GET /v1/credits/alerts answers.
    await page.reload();
    await settled(page);
    const stored = (await api('/v1/credits/alerts')).body.thresholdCredits;
    expect(stored).toBe(250);
    expect(await textOf(page, 'credit-alert-current')).toBe(`Below ${credits(stored)} credits`);
    expect(await page.getByLabel('Alert below (credits)').inputValue()).toBe(String(stored));
    await context.close();
  });

  it('cancels at the period end after confirming, and resumes', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await settled(page);
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    // Nothing happens before the confirmation.
    expect((await api('/v1/subscription')).body.cancelAtPeriodEnd).toBe(false);
    await page.getByRole('button', { name: 'Yes, cancel subscription' }).click();
    await page.getByText('Canceled: the subscription ends at the period end.').waitFor({ timeout: 30_000 });
    await settled(page);
    const canceled = (await api('/v1/subscription')).body;
    expect(canceled.cancelAtPeriodEnd).toBe(true);
    const ends = format(parseISO(canceled.currentPeriod.end), 'MMM d, yyyy');
    await page
      .getByRole('status')
      .filter({ hasText: `The subscription ends on ${ends}` })
      .waitFor();
    expect(await textOf(page, 'plan-next-renewal')).toBe('None');

    await page.getByRole('button', { name: 'Resume subscription' }).click();
    await page.getByRole('button', { name: 'Yes, resume subscription' }).click();
    await page.getByText('Resumed: the cancel was undone.').waitFor({ timeout: 30_000 });
    await settled(page);
    const resumed = (await api('/v1/subscription')).body;
    expect(resumed.cancelAtPeriodEnd).toBe(false);
    expect(await textOf(page, 'plan-next-renewal')).toBe(
      format(parseISO(resumed.nextRenewalAt), 'MMM d, yyyy'),
    );
    await context.close();
  });
});

describe('the wallet page', () => {
  it('tops up by card and shows the new balance and the transaction', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'Wallet');
    const before = (await api('/v1/wallet')).body;
    expect(await textOf(page, 'wallet-balance')).toBe(usd(before.balanceCents));
    // The spend charts' figures are GET /v1/wallet/spend-summary's: the seeded bills of the last 30 days.
    const spend = (await api('/v1/wallet/spend-summary')).body;
    expect(spend.totals.spendCents).toBe(42_10 + 18_75 + 27_30 + 12_05);
    expect(await textOf(page, 'spend-total')).toBe(usd(spend.totals.spendCents + spend.totals.feeCents));
    const byPlatform = spend.byPlatform.map(
      (p: { platform: string; spendCents: number; feeCents: number }) => [
        { meta: 'Meta', google: 'Google', tiktok: 'TikTok' }[p.platform],
        usd(p.spendCents),
        usd(p.feeCents),
      ],
    );
    expect(await tableCells(page, 'spend-by-platform')).toEqual(byPlatform);
    expect(await tableCells(page, 'spend-by-project')).toEqual(
      spend.byProject.map((p: { projectName: string; spendCents: number; feeCents: number }) => [
        p.projectName,
        usd(p.spendCents),
        usd(p.feeCents),
      ]),
    );

    await page.getByLabel('Top-up amount (USD)').fill('250');
    await page.getByRole('radio', { name: /Card on file/ }).check();
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await page.getByText('Added $250.00 by card.').waitFor({ timeout: 30_000 });
    await settled(page);

    const after = (await api('/v1/wallet')).body;
    expect(after.balanceCents).toBe(before.balanceCents + 250_00);
    expect(await textOf(page, 'wallet-balance')).toBe(usd(after.balanceCents));
    const rows = await page.getByTestId('wallet-transactions').locator('tbody tr').allInnerTexts();
    expect(rows[0]).toContain('Top-up settled');
    expect(rows[0]).toContain('$250.00');
    expect(rows[0]).toContain(usd(after.balanceCents));
    await context.close();
  });

  it('withdraws to the card after confirming, less the processor fee', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'Wallet');
    const before = (await api('/v1/wallet')).body.balanceCents;
    await page.getByLabel('Amount to withdraw (USD)').fill('50');
    await page.getByRole('button', { name: 'Withdraw…' }).click();
    await page.getByRole('button', { name: 'Yes, withdraw' }).click();
    const message = page.getByRole('status').filter({ hasText: 'Withdrawing $50.00' });
    await message.waitFor({ timeout: 30_000 });
    const legs = await stack.db
      .selectFrom('wallet_withdrawal_legs')
      .select(['refund_cents', 'fee_cents'])
      .where('org_id', '=', org.orgId)
      .execute();
    const refunded = legs.reduce((sum, l) => sum + Number(l.refund_cents), 0);
    const fees = legs.reduce((sum, l) => sum + Number(l.fee_cents), 0);
    expect(refunded + fees).toBe(50_00);
    expect(await message.innerText()).toBe(
      `Withdrawing $50.00: ${usd(refunded)} back to your cards after ${usd(fees)} in processor fees.`,
    );
    await settled(page);
    const after = (await api('/v1/wallet')).body.balanceCents;
    expect(after).toBe(before - 50_00);
    expect(await textOf(page, 'wallet-balance')).toBe(usd(after));
    await context.close();
  });

  it("sets the auto-top-up daily cap and shows how much of today's cap is used", async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'Wallet');
    await page.getByLabel('Top up automatically').check();
    await page.getByLabel('When the balance is below (USD)').fill('100');
    await page.getByLabel('Add (USD)').fill('200');
    await page.getByLabel('Daily cap (USD)').fill('600');
    await page.getByRole('button', { name: 'Save auto-top-up' }).click();
    await page.getByText('Auto-top-up saved and on.').waitFor();
    await settled(page);

    const wallet = (await api('/v1/wallet')).body;
    expect(wallet.autoTopUp).toMatchObject({
      enabled: true,
      thresholdCents: 100_00,
      amountCents: 200_00,
      dailyCapCents: 600_00,
    });
    const today = await textOf(page, 'auto-top-up-today');
    expect(today).toContain(`${usd(wallet.autoTopUp.usedTodayCents)} of ${usd(600_00)} cap used`);
    expect(today).toContain(`${usd(wallet.autoTopUp.remainingTodayCents)} left`);

    // A cap below the amount is refused by the API, and the page says why.
    await page.getByLabel('Daily cap (USD)').fill('150');
    await page.getByRole('button', { name: 'Save auto-top-up' }).click();
    await page.getByTestId('auto-top-up-result').getByText('dailyCapCents').waitFor();
    expect((await api('/v1/wallet')).body.autoTopUp.dailyCapCents).toBe(600_00);
    await context.close();
  });

  it('shows ACH top-ups in flight as pending funds with their expected dates', async () => {
    // An org whose ACH top-up is still with the bank: the page lists what GET /v1/wallet lists.
    const harbor = await seedPendingAchOrg(stack);
    const { context, page } = await stack.newPage();
    await signIn(page, harbor.apiKey);
    await openPage(page, 'Wallet');
    const wallet = (await api('/v1/wallet', harbor.apiKey)).body;
    expect(wallet.pendingTopUps).toHaveLength(1);
    const [pending] = wallet.pendingTopUps;
    const row = await page.getByTestId('pending-top-ups').locator('tbody tr').first().innerText();
    expect(row).toContain('ACH');
    expect(row).toContain(format(parseISO(pending.expectedSettlement), 'MMM d, yyyy'));
    expect(row).toContain(usd(pending.amountCents));
    expect(await textOf(page, 'wallet-pending')).toBe(usd(wallet.pendingCents));
    expect(await textOf(page, 'wallet-balance')).toBe(usd(wallet.balanceCents));
    await context.close();

    // Asked for on the page, an ACH top-up answers with the day the bank should pay.
    const { context: second, page: form } = await stack.newPage();
    await signIn(form, org.apiKey);
    await openPage(form, 'Wallet');
    await form.getByLabel('Top-up amount (USD)').fill('1,500.00');
    await form.getByRole('radio', { name: /ACH bank debit/ }).check();
    await form.getByRole('button', { name: 'Top up', exact: true }).click();
    const result = form.getByTestId('top-up-result');
    await result.getByText('is on its way').waitFor({ timeout: 30_000 });
    const started = await stack.db
      .selectFrom('wallet_top_ups')
      .select(['amount_cents', 'expected_settlement'])
      .where('org_id', '=', org.orgId)
      .where('method', '=', 'ach')
      .executeTakeFirstOrThrow();
    expect(Number(started.amount_cents)).toBe(1_500_00);
    const expected = format(parseISO(String(started.expected_settlement)), 'MMM d, yyyy');
    expect(await result.innerText()).toBe(`$1,500.00 by ACH is on its way, expected ${expected}.`);
    await second.close();
  });

  it('raises the floor above the balance and shows why ads are paused', async () => {
    // The floor may not exceed an enabled auto-top-up's threshold: switch it off first, as finance would.
    const off = await stack.call('PUT', '/v1/wallet/auto-top-up', {
      key: org.apiKey,
      json: { enabled: false, thresholdCents: 0, amountCents: 0, dailyCapCents: 0 },
    });
    expect(off.status).toBe(200);
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'Wallet');
    const balance = (await api('/v1/wallet')).body.balanceCents;
    await page.getByLabel('Pause ads below (USD)').fill('5000');
    await page.getByRole('button', { name: 'Save floor' }).click();
    await page.getByText('Floor set to $5,000.00.').waitFor();
    expect(balance).toBeLessThan(5_000_00);
    // The wallet workflow pauses the ads; the page says so once it has.
    const deadline = Date.now() + 30_000;
    while (!(await api('/v1/wallet')).body.adsPaused.paused && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    await page.reload();
    const banner = page.getByRole('alert').filter({ hasText: 'Ads are paused' });
    await banner.waitFor();
    expect(await banner.innerText()).toContain('The balance fell below the floor of $5,000.00');
    await context.close();
  });
});

describe('invoices', () => {
  it('downloads an issued invoice as PDF and CSV with the figures of the API', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'Invoices');
    const number = org.invoices[0]!;
    const issued = (await api(`/v1/invoices/${number}`)).body;
    const row = page.getByTestId('invoice-list').locator('tbody tr', { hasText: number });
    expect(await row.innerText()).toContain(usd(issued.invoice.totals.totalCents));

    const [pdf] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: `PDF of ${number}` }).click(),
    ]);
    expect(pdf.suggestedFilename()).toBe(`${number}.pdf`);
    const text = await readPdfText(await readFile((await pdf.path())!));
    expect(text.lines.join('\n')).toContain(number);
    expect(text.lines.join('\n')).toContain(org.name);
    expect(text.lines.join('\n')).toContain(usd(issued.invoice.totals.totalCents));

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: `CSV of ${number}` }).click(),
    ]);
    expect(csv.suggestedFilename()).toBe(`${number}.csv`);
    const records: Record<string, string>[] = parse(await readFile((await csv.path())!), {
      columns: true,
      bom: true,
    });
    expect(records.length).toBe(issued.invoice.lines.length);
    expect(new Set(records.map((r) => r.invoice_number))).toEqual(new Set([number]));
    expect(records.reduce((sum, r) => sum + Number(r.amount_cents), 0)).toBe(
      issued.invoice.totals.totalCents,
    );

    // The invoice's own page lists the same lines.
    await row.getByRole('link', { name: number, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: number }).waitFor();
    await settled(page);
    expect(await page.getByTestId('invoice-lines').locator('tbody tr').count()).toBe(
      issued.invoice.lines.length,
    );
    expect(await textOf(page, 'invoice-total')).toBe(usd(issued.invoice.totals.totalCents));
    await context.close();
  });
});

describe('the history page', () => {
  it('names the projects of GET /v1/projects in the credit history and wallet transactions, and filters by them', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    await openPage(page, 'History & audit');
    const projects = (await api('/v1/projects')).body.data as { id: string; name: string }[];
    expect(projects.map((p) => p.name)).toEqual(['Default', 'Spring launch']);
    const nameOf = (id: string | null) => (id === null ? '—' : projects.find((p) => p.id === id)!.name);
    // Column 3 of each table is the project: the name of the row's projectId, never the id.
    const history = (await api('/v1/credits/history?limit=25')).body.data;
    const shown = await tableCells(page, 'credit-history');
    expect(shown.map((row) => row[2])).toEqual(
      history.map((e: { projectId: string | null }) => nameOf(e.projectId)),
    );
    expect(shown.some((row) => row[2] === 'Spring launch')).toBe(true);
    const transactions = (await api('/v1/wallet/transactions?limit=25')).body.data;
    expect((await tableCells(page, 'wallet-transactions')).map((row) => row[3])).toEqual(
      transactions.map((e: { projectId: string | null }) => nameOf(e.projectId)),
    );

    // The project filter lists the projects by name and filters by the id behind it.
    const filters = page.getByRole('form', { name: 'Filter credit history' });
    await filters.getByLabel('Project', { exact: true }).selectOption({ label: 'Spring launch' });
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    const spring = org.springId;
    const filtered = (await api(`/v1/credits/history?limit=25&projectId=${spring}`)).body.data;
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="credit-history"] tbody tr').length === n,
      filtered.length,
    );
    await settled(page);
    const rows = await tableCells(page, 'credit-history');
    expect(rows.map((row) => row[2])).toEqual(filtered.map(() => 'Spring launch'));
    expect(rows.map((row) => row.at(-1))).toEqual(
      filtered.map((e: { balanceAfter: number }) => credits(e.balanceAfter)),
    );
    await context.close();
  });
});

describe('another org', () => {
  it("sees nothing of this org: its own numbers, no wallet, and this org's invoice is not found", async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, other.apiKey);
    await settled(page);
    expect(await textOf(page, 'org-name')).toBe(other.name);
    const theirs = (await api('/v1/credits', other.apiKey)).body;
    expect(await textOf(page, 'credits-balance')).toBe(credits(theirs.balance));
    expect(await textOf(page, 'plan-tier')).toBe('Plus');
    // Its own pack prices (Plus has no pack discount) and its own alert, none.
    expect(await packPrices(page)).toEqual(await listedPackPrices(other.apiKey));
    expect((await api('/v1/credit-packs', other.apiKey)).body.data[0].discountBps).toBe(0);
    expect(await textOf(page, 'credit-alert-current')).toBe('Off');

    await openPage(page, 'Invoices');
    await page.getByText('No invoices yet').waitFor();
    const body = await page.locator('main').innerText();
    for (const number of org.invoices) expect(body).not.toContain(number);
    expect(body).not.toContain(org.name);

    await page.goto(`/dashboard/invoices/${org.invoices[0]}`);
    await page.getByText('INVOICE_NOT_FOUND').waitFor();
    // Straight at the API with the session's cookie too: the other org's invoice file is not served.
    const res = await page.request.get(`/v1/invoices/${org.invoices[0]}.pdf`);
    expect(res.status()).toBe(404);

    await openPage(page, 'History & audit');
    const history = await page.locator('main').innerText();
    expect(history).not.toContain('Spring launch');
    expect(history).not.toContain(org.springId);

    await openPage(page, 'Wallet');
    await page.getByTestId('byo-wallet').waitFor();
    await context.close();
  });
});
