import { test, expect, kpi, ROLES, signIn, watchConsole } from './helpers';
import type { Page } from '@playwright/test';

const BUCKETS = ['inSettlement', 'sentToBank', 'credited', 'unsettled'] as const;
const grouped = (n: number) => n.toLocaleString('en-IN');

/** Every widget of the Overview page equals the API's answer for the same window. */
async function expectWidgetsEqual(page: Page, api: any) {
  await expect(page.getByTestId('kpi-match-rate')).toContainText(
    `${grouped(api.kpis.reconciled)} of ${grouped(api.kpis.transactions)} transactions matched`,
  );
  await expect(page.getByTestId('kpi-variance')).toContainText(`${grouped(api.kpis.varianceCount)} unreconciled`);
  expect(await kpi(page, 'kpi-open-exceptions')).toBe(api.kpis.openExceptions);
  for (const [severity, n] of Object.entries(api.exceptions.bySeverity)) {
    await expect(page.getByTestId('exceptions-panel').locator(`tr[data-severity="${severity}"] td`).nth(1)).toHaveText(grouped(n as number));
  }
  const reasons = page.getByTestId('top-reasons').locator('li');
  await expect(reasons).toHaveCount(api.exceptions.topReasons.length);
  for (const [i, r] of api.exceptions.topReasons.entries()) {
    await expect(reasons.nth(i)).toHaveAttribute('data-reason', r.code);
    await expect(reasons.nth(i)).toContainText(grouped(r.count));
  }
  await expect(page.getByTestId('disputes-open')).toHaveText(grouped(api.disputes.open));
  await expect(page.getByTestId('disputes-evidence')).toHaveText(grouped(api.disputes.evidenceRequired));
  await expect(page.getByTestId('disputes-due')).toHaveText(grouped(api.disputes.dueWithin48h));
  let sum = 0;
  for (const b of BUCKETS) {
    await expect(page.locator(`[data-count="${b}"]`)).toHaveText(grouped(api.pipeline[b]));
    sum += api.pipeline[b];
  }
  expect(sum).toBe(api.pipeline.captured);
  expect(api.pipeline.captured).toBe(api.kpis.transactions);
  await expect(page.getByTestId('connectors-panel').locator('li[data-connector]')).toHaveCount(api.connectors.length);
}

test('journey 1: change the window, every widget changes with it and equals the API', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);
  await expect(page).toHaveURL(/\/overview$/);
  // Last 7 days by default (spec 5.1).
  await expect(page.getByRole('link', { name: 'Last 7 days' })).toHaveAttribute('aria-current', 'page');
  const api7 = await (await page.request.get('/api/overview/overview')).json();
  expect(api7.window.preset).toBe('7d');
  expect(api7.kpis.transactions).toBeGreaterThan(0);
  await expectWidgetsEqual(page, api7);

  // Hydrated, a preset click fetches the other window in place (no reload) and every widget follows.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.evaluate(() => ((window as any).__noReload = 'still-here'));
  const refetch = page.waitForResponse((r) => r.url().includes('/sfn/overview/snapshot') && r.status() === 200);
  await page.getByRole('link', { name: 'Last 30 days' }).click();
  await refetch;
  await expect(page).toHaveURL(/\/overview\?range=30d$/);
  const api30 = await (await page.request.get('/api/overview/overview?range=30d')).json();
  expect(api30.kpis.transactions).toBeGreaterThan(api7.kpis.transactions);
  await expectWidgetsEqual(page, api30);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe('still-here');

  // A custom range through the form (a plain GET).
  await page.getByLabel('From', { exact: true }).fill(api7.window.from);
  await page.getByLabel('To', { exact: true }).fill(api7.window.to);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/from=/);
  await expectWidgetsEqual(page, api7);
  consoleErrors.check();
});

test('a pipeline segment opens the explorer filtered to the same transactions', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.finance.email);
  await page.goto('/overview?range=30d');
  const api = await (await page.request.get('/api/overview/overview?range=30d')).json();
  for (const [bucket, where] of [['credited', 'svg'], ['unsettled', 'table']] as const) {
    await page.goto('/overview?range=30d');
    // The bar's segment (an SVG link) and the legend's link open the same list.
    const link = where === 'svg'
      ? page.getByTestId('pipeline').locator(`svg a[href$="bucket=${bucket}"]`)
      : page.getByTestId('pipeline').locator(`table a[data-bucket="${bucket}"]`);
    await link.click();
    await expect(page).toHaveURL(new RegExp(`/transactions\\?from=${api.window.from}&to=${api.window.to}&bucket=${bucket}$`));
    await expect(page.getByTestId('list-summary')).toHaveAttribute('data-total', String(api.pipeline[bucket]));
    await expect(page.getByTestId('list-summary')).toHaveAttribute('data-exact', 'true');
    expect(api.pipeline[bucket]).toBeGreaterThan(0);
  }
  // The finance tiles are there for finance.
  await page.goto('/overview?range=30d');
  await expect(page.getByTestId('kpi-net-paid')).toBeVisible();
  consoleErrors.check();
});

test('live mode refreshes the figures every 30 s without a reload', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await page.clock.install();
  await signIn(page, ROLES.ops.email);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const live = page.getByTestId('live-mode').getByRole('checkbox');
  await live.check();
  await page.evaluate(() => ((window as any).__noReload = 'still-here'));
  await page.clock.runFor(5_000);
  await expect(page.getByTestId('updated-ago')).toHaveText(/updated [1-9]\d* s ago/);
  const refetch = page.waitForResponse((r) => r.url().includes('/sfn/overview/snapshot') && r.status() === 200);
  await page.clock.runFor(30_000);
  await refetch;
  await expect(page.getByTestId('updated-ago')).toHaveText(/updated [0-2] s ago/);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe('still-here');
  consoleErrors.check();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('Overview renders whole, presets are plain links, no live switch', async ({ page }) => {
    await signIn(page, ROLES.finance.email);
    await expect(page).toHaveURL(/\/overview$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await expect(page.getByTestId('live-mode')).toHaveCount(0);
    await page.getByRole('link', { name: 'Last 30 days' }).click();
    await expect(page).toHaveURL(/range=30d$/);
    await page.getByRole('link', { name: 'Last 14 days' }).click();
    await expect(page).toHaveURL(/range=14d$/);
    await expect(page.getByTestId('kpi-net-paid')).toBeVisible();
    await expect(page.getByTestId('pipeline')).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  });
});
