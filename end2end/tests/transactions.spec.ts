import { test, expect, ROLES, signIn, watchConsole } from './helpers';

test("a transaction's life links to its batch, its exception and its chargeback", async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);

  // A paid transaction: its batch.
  await page.goto('/transactions?status=PAID');
  const paid = page.getByTestId('transactions').locator('tbody tr').first();
  await expect(paid.getByText('Paid', { exact: true })).toBeVisible();
  await paid.locator('a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Transaction');
  await expect(page.getByTestId('txn-status')).toHaveText('Paid');
  const batchLink = page.getByTestId('batch-link');
  await batchLink.click();
  await expect(page).toHaveURL(/\/settlements\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Batch STL-/);

  // An exception: the queue's record.
  await page.goto('/transactions?status=EXCEPTION');
  await page.getByTestId('transactions').locator('tbody tr').first().locator('a').first().click();
  await page.getByTestId('exception-link').click();
  await expect(page).toHaveURL(/\/exceptions\/EXC-/);

  // A chargeback: the dispute case.
  const cases = await (await page.request.get('/api/disputes/v1/chargebacks?limit=100')).json();
  let txnId: string | undefined;
  for (const c of cases.chargebacks.filter((c: any) => c.txnRef)) {
    const life = await page.request.get(`/api/recon/v1/transactions/${encodeURIComponent(c.txnRef)}`);
    if (life.ok() && (await life.json()).chargebacks.length > 0) {
      txnId = c.txnRef;
      break;
    }
  }
  expect(txnId, 'a demo chargeback is linked to its transaction').toBeTruthy();
  await page.goto(`/transactions/${encodeURIComponent(txnId!)}`);
  await page.getByTestId('chargeback-link').first().click();
  await expect(page).toHaveURL(/\/disputes\/[0-9a-f-]{36}$/);
  consoleErrors.check();
});

test('the explorer filters by the URL and its CSV holds the same rows', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.finance.email);
  await page.goto('/transactions');
  await page.getByLabel('Method').selectOption('CARD');
  await page.getByLabel('Status').selectOption('RECONCILED');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/method=CARD/);
  await expect(page).toHaveURL(/status=RECONCILED/);
  const api = await (await page.request.get('/api/recon/v1/transactions?method=CARD&status=RECONCILED&limit=500')).json();
  await expect(page.getByTestId('list-summary')).toHaveAttribute('data-total', String(api.total));
  const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  const csv = await (await page.request.get(csvHref!)).text();
  expect(csv.trim().split('\n').length - 1).toBe(api.total);
  consoleErrors.check();
});
