import { test, expect, ROLES, signIn, watchConsole } from './helpers';

const CHARTS = ['gmv', 'modes', 'funnel', 'payout-failures', 'match-rate', 'ageing'];

test('analytics KPIs equal the API; tooltips appear on hover; each chart CSV equals its table', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.finance.email);
  await page.goto('/analytics?range=30d');
  const api = await (await page.request.get('/api/analytics/v1/summary?range=30d')).json();
  await expect(page.getByTestId('kpi-settled').locator('[data-kpi-value]')).toHaveText(api.kpis.settledCount.toLocaleString('en-IN'));
  await expect(page.getByTestId('kpi-unsettled').locator('[data-kpi-value]')).toHaveText(api.kpis.unsettledCount.toLocaleString('en-IN'));
  await expect(page.getByTestId('kpi-settlement-rate').locator('[data-kpi-value]')).toHaveText(`${api.kpis.settlementRate} %`);
  expect(api.kpis.settledCount + api.kpis.unsettledCount).toBe(api.funnel.captured);
  expect(api.funnel.captured).toBeGreaterThanOrEqual(api.funnel.reconciled);
  expect(api.funnel.reconciled).toBeGreaterThanOrEqual(api.funnel.batched);
  expect(api.funnel.batched).toBeGreaterThanOrEqual(api.funnel.paid);
  expect(api.funnel.paid).toBe(api.kpis.settledCount);

  // Tooltips once the page is alive.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  // The day with the most captured (its bar is the tallest, so there is something to point at).
  const tallest = api.gmv.reduce((best: number, g: any, i: number) => (g.capturedPaise > api.gmv[best].capturedPaise ? i : best), 0);
  expect(api.gmv[tallest].capturedPaise).toBeGreaterThan(0);
  const bar = page.locator('[data-chart="gmv"] g[data-tip]').nth(tallest).locator('rect').first();
  await bar.hover();
  const tip = page.locator('[data-chart="gmv"]').getByTestId('chart-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toHaveText((await page.locator('[data-chart="gmv"] g[data-tip]').nth(tallest).getAttribute('data-tip'))!);
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);

  // Each chart's CSV holds exactly its table's cells.
  for (const chart of CHARTS) {
    await page.getByTestId(`${chart}-numbers`).locator('summary').click();
    const rows = await page.getByTestId(`${chart}-table`).locator('tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('th,td')).map((c) => (c as HTMLElement).innerText.trim())),
    );
    const href = await page.getByTestId(`${chart}-csv`).getAttribute('href');
    const csv = (await (await page.request.get(href!)).text()).trim().split('\n').map((l) => l.split(','));
    expect(csv, chart).toEqual(rows);
  }
  consoleErrors.check();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('every chart is drawn on the server with a title and a description, and its numbers are a disclosure away', async ({ page }) => {
    await signIn(page, ROLES.auditor.email);
    // 90 days through the custom range (a plain GET form).
    const to = new Date(Date.now() + 5.5 * 3600_000);
    const from = new Date(to.getTime() - 89 * 86400_000);
    const iso = (d: Date) => d.toISOString().slice(0, 10);
    await page.goto(`/analytics?from=${iso(from)}&to=${iso(to)}`);
    await expect(page.getByTestId('analytics-window')).toContainText('(90 days)');
    await page.goto('/analytics');
    await expect(page.getByRole('heading', { level: 1, name: 'Analytics' })).toBeVisible();
    for (const chart of CHARTS) {
      const svg = page.locator(`[data-chart="${chart}"] svg[role="img"]`);
      await expect(svg).toHaveCount(1);
      await expect(svg.locator('title')).not.toHaveText('');
      await expect(svg.locator('desc')).not.toHaveText('');
      await page.getByTestId(`${chart}-numbers`).locator('summary').click();
      await expect(page.getByTestId(`${chart}-table`)).toBeVisible();
    }
    // The filters are a plain GET form.
    await page.getByLabel('Payment mode').selectOption('UPI');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/mode=UPI/);
    await expect(page.locator('[data-chart="modes"] table tbody tr')).toHaveCount(1);
  });
});
