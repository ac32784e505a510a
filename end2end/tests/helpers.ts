import { test as base, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export { expect };

/** The WCAG 2.1 A and AA rules of axe-core: every page must pass them (spec 01, accessibility). */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core's WCAG 2.1 AA rules on the page as it is now and fails with each violation's rule, help and nodes. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found, `axe-core WCAG 2.1 AA violations on ${page.url()}`).toEqual([]);
}

/**
 * Playwright's `test` with a page that is checked by axe-core after every `page.goto` and once more
 * on the page a test ends on (pages reached by clicks and form posts), so that every page the suite
 * visits is checked without each test having to ask. axe-core runs inside the page, so tests that
 * switch JavaScript off are not checked (the same pages are, in the tests with JavaScript).
 */
export const test = base.extend<{ page: Page }>({
  page: async ({ page, javaScriptEnabled }, use) => {
    if (!javaScriptEnabled) {
      await use(page);
      return;
    }
    const goto = page.goto.bind(page);
    page.goto = async (url: string, options?: Parameters<Page['goto']>[1]) => {
      const response = await goto(url, options);
      await expectAccessible(page);
      return response;
    };
    await use(page);
    if (!page.isClosed() && page.url().startsWith('http')) {
      await page.waitForLoadState('load');
      await expectAccessible(page);
    }
  },
});

export const DEMO_PASSWORD = 'SettlePaisa@2025';

export const ROLES = {
  ops: { email: 'ops@settlepaisa.test', name: 'Priya Sharma', settings: false, audit: false },
  finance: { email: 'finance@settlepaisa.test', name: 'Rahul Mehta', settings: false, audit: false },
  finance2: { email: 'finance2@settlepaisa.test', name: 'Anita Desai', settings: false, audit: false },
  compliance: { email: 'compliance@settlepaisa.test', name: 'Vikram Iyer', settings: false, audit: true },
  auditor: { email: 'auditor@settlepaisa.test', name: 'Meera Nair', settings: false, audit: true },
  admin: { email: 'admin@settlepaisa.test', name: 'Arjun Rao', settings: true, audit: true },
} as const;

/** Every page of spec 01 with the name its <h1> shows. `built`: the feature has landed (no "not built yet" notice); `status`: the expected answer when not 200. */
export const PAGES: { path: string; h1: string; needs?: 'settings' | 'audit'; built?: boolean; status?: number }[] = [
  { path: '/overview', h1: 'Overview', built: true },
  { path: '/recon', h1: 'Recon workspace', built: true },
  { path: '/recon/runs/00000000-0000-0000-0000-000000000000', h1: 'Recon run', built: true, status: 404 },
  { path: '/exceptions', h1: 'Exceptions', built: true },
  { path: '/exceptions/EXC-20260101-000001', h1: 'Exception', built: true, status: 404 },
  { path: '/disputes', h1: 'Disputes', built: true },
  { path: '/disputes/00000000-0000-0000-0000-000000000000', h1: 'Dispute detail', built: true, status: 404 },
  { path: '/settlements', h1: 'Settlements', built: true },
  { path: '/settlements/00000000-0000-0000-0000-000000000000', h1: 'Settlement batch', built: true, status: 404 },
  { path: '/settlements/merchants', h1: 'Merchant terms', built: true },
  { path: '/settlements/merchants/NO_SUCH_MERCHANT', h1: 'Merchant terms', built: true, status: 404 },
  { path: '/transactions', h1: 'Transactions', built: true },
  { path: '/transactions/NO-SUCH-TXN', h1: 'Transaction', built: true, status: 404 },
  { path: '/analytics', h1: 'Analytics', built: true },
  { path: '/connectors', h1: 'Connectors', built: true },
  { path: '/connectors/jobs', h1: 'Jobs', needs: 'settings', built: true },
  { path: '/reports', h1: 'Reports', built: true },
  { path: '/settings', h1: 'Settings', needs: 'settings', built: true },
  { path: '/settings/layouts', h1: 'Bank layouts', needs: 'settings', built: true },
  { path: '/profile', h1: 'Your profile', built: true },
  { path: '/audit', h1: 'Audit log', needs: 'audit', built: true },
  { path: '/audit/verify', h1: 'Verify the audit chain', needs: 'audit', built: true },
];

/**
 * Collects console errors and uncaught exceptions; call `check()` at the end of a test. The browser
 * logs every 4xx document as an error: `expectRefusal(path)` marks a page the test expects to be
 * refused (e.g. a 403 for a role without access), and only that load is excused.
 */
export function watchConsole(page: Page) {
  const errors: string[] = [];
  const refusals = new Set<string>();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const path = new URL(msg.location().url || 'about:blank', 'http://x').pathname;
    if (msg.text().startsWith('Failed to load resource') && refusals.has(path)) return;
    errors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return {
    expectRefusal: (path: string) => refusals.add(path),
    check: () => expect(errors, 'no console errors').toEqual([]),
  };
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The first whole number in an element's text (Indian grouping removed): "1,234 of 5,678" → 1234. */
export async function numberIn(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).first().innerText();
  const m = text.replace(/,/g, '').match(/-?\d+/);
  if (!m) throw new Error(`no number in ${testId}: ${text}`);
  return Number(m[0]);
}

/** The integer shown in a KPI tile (Indian grouping removed). */
export async function kpi(page: Page, testId: string): Promise<number> {
  const text = await page.getByTestId(testId).locator('[data-kpi-value]').innerText();
  return Number(text.replace(/,/g, ''));
}
