import { test, expect, kpi, ROLES, signIn, watchConsole } from './helpers';

test('Overview shows real figures, and a preset change refetches them in place (hydrated)', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);
  await expect(page).toHaveURL(/\/overview$/);

  // Last 30 days by default; the demo data's transactions lie in the 30 days before today.
  await expect(page.getByRole('link', { name: 'Last 30 days' })).toHaveAttribute('aria-current', 'page');
  const txns30 = await kpi(page, 'kpi-transactions');
  expect(txns30).toBeGreaterThan(600);
  expect(txns30).toBeLessThanOrEqual(747);
  const reconciled30 = await kpi(page, 'kpi-reconciled');
  expect(reconciled30).toBeGreaterThan(0.8 * txns30);
  expect(await kpi(page, 'kpi-open-exceptions')).toBeGreaterThan(0);
  expect(await kpi(page, 'kpi-open-chargebacks')).toBeGreaterThan(0);

  // The same figures through the JSON API (one query serves both).
  const api30 = await (await page.request.get('/api/overview/overview?range=30d')).json();
  expect(api30.kpis.transactions).toBe(txns30);
  expect(api30.kpis.reconciled).toBe(reconciled30);
  expect(await kpi(page, 'kpi-open-exceptions')).toBe(api30.kpis.openExceptions);
  const p = api30.pipeline;
  expect(p.inSettlement + p.sentToBank + p.credited + p.unsettled).toBe(p.captured);

  // Wait until the app has hydrated; then a preset click must not reload the page.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.evaluate(() => ((window as any).__noReload = 'still-here'));
  const refetch = page.waitForResponse((r) => r.url().includes('/sfn/overview/snapshot') && r.status() === 200);
  await page.getByRole('link', { name: 'Last 7 days' }).click();
  await refetch;
  await expect(page).toHaveURL(/\/overview\?range=7d$/);
  await expect(page.getByRole('link', { name: 'Last 7 days' })).toHaveAttribute('aria-current', 'page');
  expect(await page.evaluate(() => (window as any).__noReload)).toBe('still-here');

  const api7 = await (await page.request.get('/api/overview/overview?range=7d')).json();
  await expect.poll(() => kpi(page, 'kpi-transactions')).toBe(api7.kpis.transactions);
  expect(api7.kpis.transactions).toBeGreaterThan(0);
  expect(api7.kpis.transactions).toBeLessThan(txns30);
  expect(await kpi(page, 'kpi-reconciled')).toBe(api7.kpis.reconciled);

  // A custom range through the form (a plain GET: works with or without JavaScript).
  await page.getByLabel('From').fill(api7.window.from);
  await page.getByLabel('To').fill(api7.window.to);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/from=/);
  await expect.poll(() => kpi(page, 'kpi-transactions')).toBe(api7.kpis.transactions);
  consoleErrors.check();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign-in and Overview work, presets are plain links', async ({ page }) => {
    await signIn(page, ROLES.finance.email);
    await expect(page).toHaveURL(/\/overview$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    const n30 = await kpi(page, 'kpi-transactions');
    expect(n30).toBeGreaterThan(600);
    await page.getByRole('link', { name: 'Last 14 days' }).click();
    await expect(page).toHaveURL(/range=14d$/);
    const n14 = await kpi(page, 'kpi-transactions');
    expect(n14).toBeGreaterThan(0);
    expect(n14).toBeLessThan(n30);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  });
});
