import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, screenshot, settled, signIn } from './pages';
import { seedAgencyOrg, seedByoOrg, type SeededOrg } from './seed';
import { DESKTOP, PHONE, startDashboardStack, type DashboardStack } from './stack';

/**
 * Every page of the dashboard, as a keyboard and a screen reader meet it: axe-core finds no serious or
 * critical violation, every control has a name, every form can be reached and used with the keyboard
 * alone with a visible focus, and the pages fit a phone. Each page is photographed at desktop and phone
 * widths into test-results/screenshots/ (git-ignored), for people to look at.
 */
let stack: DashboardStack;
let org: SeededOrg;
let byo: { orgId: string; name: string; apiKey: string };

beforeAll(async () => {
  stack = await startDashboardStack();
  org = await seedAgencyOrg(stack);
  byo = await seedByoOrg(stack);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
}

/** Form controls with no accessible name: no label, no aria-label(ledby), no text. */
function unlabelledControls(page: Page) {
  return page.evaluate(() => {
    const named = (el: Element): boolean => {
      if (el.getAttribute('aria-label')?.trim()) return true;
      const by = el.getAttribute('aria-labelledby');
      if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
      if ('labels' in el && (el as HTMLInputElement).labels?.length) {
        return [...(el as HTMLInputElement).labels!].some((l) => l.textContent?.trim());
      }
      return Boolean(el.textContent?.trim());
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if ((el as HTMLInputElement).type === 'hidden') continue;
      if (!named(el)) out.push(el.outerHTML.slice(0, 120));
    }
    for (const form of document.querySelectorAll('form')) {
      if (!named(form) && !form.getAttribute('aria-label')) out.push(`<form> ${form.outerHTML.slice(0, 80)}`);
    }
    return out;
  });
}

/**
 * Tabs through the whole page from the top and returns every interactive element it could not reach
 * (one radio per group is enough: arrows move within a group) and every one it reached without a
 * visible focus indicator.
 */
async function keyboardWalk(page: Page): Promise<{ unreached: string[]; invisibleFocus: string[] }> {
  const total = await page.evaluate(() => {
    // What a keyboard should reach: everything interactive and shown (not inside a closed <details>).
    const candidates = [
      ...document.querySelectorAll<HTMLElement>(
        'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), summary, [tabindex="0"]',
      ),
    ].filter((el) => el.tagName === 'SUMMARY' || !el.closest('details:not([open])'));
    let n = 0;
    const groups = new Set<string>();
    for (const el of candidates) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0 && !el.classList.contains('skip-link')) continue;
      if (el instanceof HTMLInputElement && el.type === 'radio') {
        if (groups.has(el.name)) continue;
        groups.add(el.name);
      }
      el.dataset.kbd = String(n++);
    }
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    return n;
  });
  const reached = new Set<string>();
  const invisibleFocus: string[] = [];
  for (let i = 0; i < total + 40; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const visible =
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      const group =
        el instanceof HTMLInputElement && el.type === 'radio'
          ? document.querySelector<HTMLElement>(`input[type=radio][name="${el.name}"][data-kbd]`)
          : el;
      return { id: group?.dataset.kbd ?? null, visible, html: el.outerHTML.slice(0, 100) };
    });
    if (!focused) continue;
    if (focused.id !== null) reached.add(focused.id);
    if (!focused.visible) invisibleFocus.push(focused.html);
    if (reached.size === total) break;
  }
  const unreached = await page.evaluate(
    (ids) =>
      [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
        .filter((el) => !ids.includes(el.dataset.kbd!))
        .map((el) => el.outerHTML.slice(0, 100)),
    [...reached],
  );
  return { unreached, invisibleFocus };
}

interface PageCase {
  name: string;
  key: () => string;
  open: (page: Page) => Promise<void>;
}

const PAGES: PageCase[] = [
  { name: 'billing', key: () => org.apiKey, open: (page) => openPage(page, 'Billing') },
  { name: 'invoices', key: () => org.apiKey, open: (page) => openPage(page, 'Invoices') },
  {
    name: 'invoice',
    key: () => org.apiKey,
    open: async (page) => {
      await openPage(page, 'Invoices');
      await page.getByRole('link', { name: org.invoices[0], exact: true }).click();
      await page.getByRole('heading', { level: 1, name: org.invoices[0] }).waitFor();
      await settled(page);
    },
  },
  { name: 'wallet', key: () => org.apiKey, open: (page) => openPage(page, 'Wallet') },
  { name: 'wallet-byo', key: () => byo.apiKey, open: (page) => openPage(page, 'Wallet') },
  { name: 'history', key: () => org.apiKey, open: (page) => openPage(page, 'History & audit') },
];

describe('the sign-in page', () => {
  it('has no serious accessibility violations and signs in with the keyboard alone', async () => {
    const { context, page } = await stack.newPage();
    await page.goto('/dashboard/');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'sign-in-desktop');

    // Keyboard only: Tab to the key, type it, Enter.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('apiKey');
    await page.keyboard.type(org.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await context.close();

    const { context: phone, page: small } = await stack.newPage(PHONE);
    await small.goto('/dashboard/');
    await small.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await screenshot(small, 'sign-in-phone');
    await phone.close();
  });
});

describe.each(PAGES)('the $name page', ({ name, key, open }) => {
  it('has no serious or critical axe violations, names every control, and is photographed', async () => {
    const { context, page, errors } = await stack.newPage(DESKTOP);
    await signIn(page, key());
    await open(page);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await unlabelledControls(page)).toEqual([]);
    // Under the API's strict Content-Security-Policy: nothing refused, nothing thrown.
    expect(errors).toEqual([]);
    await screenshot(page, `${name}-desktop`);
    await context.close();

    const { context: phone, page: small } = await stack.newPage(PHONE);
    await signIn(small, key());
    await open(small);
    expect(await seriousViolations(small)).toEqual([]);
    // Nothing wider than the phone: tables scroll inside their own region, the page does not.
    const overflowing = await small.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter(
          (el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.table-scroll'),
        )
        .map(
          (el) =>
            `${el.tagName.toLowerCase()}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}px`,
        ),
    );
    expect(overflowing).toEqual([]);
    expect(
      await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await screenshot(small, `${name}-phone`);
    await phone.close();
  });

  it('reaches every control with the Tab key, each with a visible focus', async () => {
    const { context, page } = await stack.newPage(DESKTOP);
    await signIn(page, key());
    await open(page);
    const walk = await keyboardWalk(page);
    expect(walk.unreached).toEqual([]);
    expect(walk.invisibleFocus).toEqual([]);
    await context.close();
  });
});

describe('keyboard use', () => {
  it('skips to the content, changes page and tops up the wallet without a mouse', async () => {
    const { context, page } = await stack.newPage();
    await signIn(page, org.apiKey);
    // A fresh load: the first Tab starts from the top of the page.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Billing' }).waitFor();
    await settled(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    const tabTo = async (match: (el: { text: string; label: string }) => boolean, limit = 80) => {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press('Tab');
        const el = await page.evaluate(() => {
          const a = document.activeElement as HTMLInputElement | null;
          return { text: a?.textContent?.trim() ?? '', label: a?.labels?.[0]?.textContent?.trim() ?? '' };
        });
        if (match(el)) return;
      }
      throw new Error('never reached the element with the Tab key');
    };
    await tabTo((el) => el.text === 'Wallet');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Wallet' }).waitFor();
    await settled(page);
    await tabTo((el) => el.label.startsWith('Top-up amount'));
    await page.keyboard.type('20');
    await page.keyboard.press('Enter');
    await page.getByText('Added $20.00 by card.').waitFor({ timeout: 30_000 });
    await context.close();
  });
});
