import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS } from './stack';

/** What the browser tests do on a page, said once. */

/** Signs in through the form, as a person pasting a key does, and waits for the app behind it. */
export async function signIn(page: Page, apiKey: string): Promise<void> {
  await page.goto('/dashboard/');
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Every card of the page has finished loading (no skeleton, nothing busy). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, null, {
    timeout: 20_000,
  });
}

/** Goes to a page of the app through its navigation and waits until it has loaded. */
export async function openPage(page: Page, name: 'Billing' | 'Invoices' | 'Wallet' | 'History & audit') {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await settled(page);
}

/** The text of the element with this data-testid, trimmed. */
export async function textOf(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).first().innerText()).trim();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** US dollars as a reader expects them, computed independently of the app's formatter. */
export const usd = (cents: number): string =>
  (cents < 0 ? '-' : '') +
  '$' +
  Math.trunc(Math.abs(cents) / 100).toLocaleString('en-US') +
  '.' +
  String(Math.abs(cents) % 100).padStart(2, '0');

export const credits = (n: number): string => n.toLocaleString('en-US');

/** The cells of a table's body rows (also in a closed <details>, where innerText would be empty). */
export function tableCells(page: Page, testId: string): Promise<string[][]> {
  return page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent!.trim())),
    );
}
