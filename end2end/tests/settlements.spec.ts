import * as fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, ROLES, signIn, watchConsole } from './helpers';

/** The IST date `daysAgo` days before today, as YYYY-MM-DD (the demo is anchored on today in IST). */
function istDate(daysAgo: number): string {
  const ist = new Date(Date.now() + 5.5 * 3600 * 1000 - daysAgo * 86400 * 1000);
  return ist.toISOString().slice(0, 10);
}

async function signInAs(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).toHaveURL(/\/overview$/);
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

async function credited(page: Page): Promise<number> {
  const overview = await (await page.request.get('/api/overview/overview?range=30d')).json();
  return overview.pipeline.credited;
}

test("journey 4 (finance): create a cycle's batches, maker-checker, payout file, mark paid", async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signInAs(page, ROLES.finance.email);
  const creditedBefore = await credited(page);

  // finance@ creates a cycle's batches from the page. A fresh demo leaves the cycles two and
  // three days ago reconciled and unbatched. A batch is paid on or after its payout date (T+1
  // business days): on a Sunday, or after a bank holiday, the later cycle's may still be ahead, so
  // the journey takes the first cycle with a batch over ₹1,00,000 due for payout by today.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settlements', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Settlements' })).toBeVisible();
  type Batch = { id: string; batchRef: string; netPaise: number; rail: string; txnCount: number; createdBy: string; payoutDueOn: string };
  let big: Batch | undefined;
  for (const daysAgo of [2, 3]) {
    const cycle = istDate(daysAgo);
    const create = page.getByRole('form', { name: 'Create batches' });
    await create.getByLabel('Cycle date').fill(cycle);
    await create.getByRole('button', { name: 'Create batches' }).click();
    await expect(page.getByText(/queued; its progress is below/)).toBeVisible();
    // The run's status follows it (the island reloads the page when it ends).
    await expect(page.getByTestId('runs').locator('tbody tr').first()).toHaveAttribute('data-run-status', 'completed', { timeout: 20_000 });
    // A batch over ₹1,00,000 waits for approval.
    const list = await (await page.request.get(`/api/settlements/v1/batches?cycleDate=${cycle}&status=PENDING_APPROVAL`)).json();
    big = list.batches.find((b: Batch) => b.netPaise > 100_000_00 && b.payoutDueOn <= istDate(0));
    if (big) break;
  }
  if (!big) throw new Error('no batch above ₹1,00,000 due for payout by today on the two unbatched cycles');
  expect(big.createdBy).toBe(ROLES.finance.email);
  await page.goto(`/settlements/${big.id}`);
  await expect(page.getByRole('heading', { level: 1, name: `Batch ${big.batchRef}` })).toBeVisible();
  await expect(page.getByTestId('batch-status')).toHaveText('Awaiting approval');
  await expect(page.getByTestId('waterfall-net')).toBeVisible();
  // finance@ made it, so cannot approve it.
  await expect(page.getByTestId('maker-note')).toBeVisible();
  await expect(page.locator('button[data-action="approve"]')).toHaveCount(0);
  const refused = await page.request.post(`/api/settlements/v1/batches/${big.id}/actions`, {
    data: { action: 'approve' },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).message).toContain('Maker-checker');
  await signOut(page);

  // finance2@ approves it.
  await signInAs(page, ROLES.finance2.email);
  await page.goto(`/settlements/${big.id}`);
  await page.locator('button[data-action="approve"]').click();
  await expect(page.getByTestId('batch-status')).toHaveText('Approved');
  await expect(page.getByTestId('batch-summary')).toContainText(ROLES.finance2.email);

  // The payout file: every approved batch due by today, this one among them; it downloads.
  await page.goto('/settlements');
  const payout = page.getByRole('form', { name: 'Generate payout file' });
  await payout.getByLabel('Payout date').fill(istDate(0));
  await payout.getByRole('button', { name: 'Generate payout file' }).click();
  await expect(page.getByText(/Payout file payout-.* made/)).toBeVisible();
  const fileLink = page.getByTestId('payout-files').locator('tbody tr').first().getByRole('link');
  const download = page.waitForEvent('download');
  await fileLink.click();
  const file = fs.readFileSync((await (await download).path())!, 'utf8');
  expect(file.split('\r\n')[0]).toBe('beneficiary_name,account_number,ifsc,amount,rail,batch_ref');
  const line = file.split('\r\n').find((l) => l.endsWith(`,${big.batchRef}`));
  expect(line, 'the batch is in the payout file').toBeTruthy();
  expect(line).toContain(`,${(big.netPaise / 100).toFixed(2)},${big.rail},`);
  await signOut(page);

  // finance@ marks it paid with the bank's UTR.
  await signInAs(page, ROLES.finance.email);
  await page.goto(`/settlements/${big.id}`);
  await expect(page.getByTestId('batch-status')).toHaveText('Sent to bank');
  const utr = `UTRE2E${Date.now()}`.slice(0, 22);
  await page.getByLabel('Bank UTR').fill(utr);
  await page.locator('button[data-action="paid"]').click();
  await expect(page.getByTestId('batch-status')).toHaveText('Paid');
  await expect(page.getByTestId('batch-summary')).toContainText(utr);
  await expect(page.getByTestId('transfers')).toContainText(utr);

  // Overview's pipeline: "credited" grows by the batch's transactions.
  expect(await credited(page)).toBe(creditedBefore + big.txnCount);
  await page.goto('/overview?range=30d');
  await expect(page.getByTestId('kpi-net-paid')).toBeVisible();
  consoleErrors.check();
});

test('the settlement pages work without JavaScript for a reader; the auditor sees no account number', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signInAs(page, ROLES.auditor.email);
  await page.goto('/settlements?status=PAID');
  await expect(page.getByRole('heading', { level: 1, name: 'Settlements' })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Create batches' })).toHaveCount(0);
  const first = page.getByTestId('batches').locator('tbody tr').first();
  await first.getByRole('link').first().click();
  await expect(page.getByTestId('batch-status')).toHaveText('Paid');
  await expect(page.getByTestId('bank-account')).toContainText('XXXX');
  await expect(page.getByTestId('no-actions')).toBeVisible();
  await context.close();
});
