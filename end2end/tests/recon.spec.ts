import { test, expect, kpi, ROLES, signIn, watchConsole } from './helpers';

const CYCLE = '2026-01-20';
const PG = [
  'Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status',
  'E2E-T1,MERCH_001,"1,000.00",INR,2026-01-20,10:00,UPI,E2EUTR1,,SUCCESS',
  'E2E-T2,MERCH_001,250.00,INR,2026-01-20,10:05,CARD,E2EUTR2,,SUCCESS',
  'E2E-T3,MERCH_002,99.99,INR,2026-01-20,10:10,UPI,E2EUTR3,,SUCCESS',
  'E2E-T4,MERCH_002,500.00,INR,2026-01-20,10:15,NETBANKING,,,SUCCESS',
  'E2E-T5,MERCH_003,-1,INR,2026-01-20,10:20,UPI,E2EUTR5,,SUCCESS',
].join('\n');
const BANK = [
  'Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit',
  'E2E-B1,HDFC,1000.00,2026-01-20,,E2EUTR1,,CR',
  'E2E-B2,HDFC,249.99,2026-01-21,,E2EUTR2,,CR',
  'E2E-B9,HDFC,75.00,2026-01-21,,E2EUTR9,,CR',
].join('\n');

test('the recon journey: upload both files for a cycle, run, and read the results', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);
  await expect(page).toHaveURL(/\/overview$/);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Recon', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Recon workspace' })).toBeVisible();

  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  // Choosing a file shows its size, the format it will be read as and its first five rows,
  // before anything is uploaded.
  const pgForm = page.getByRole('form', { name: 'PG file' });
  await pgForm.getByLabel('Cycle date').fill(CYCLE);
  await pgForm.getByLabel('PG file to upload').setInputFiles({ name: 'pg.csv', mimeType: 'text/csv', buffer: Buffer.from(PG) });
  const pgPreview = pgForm.getByTestId('upload-preview');
  await expect(pgPreview.getByTestId('preview-size')).toHaveText(`${Buffer.byteLength(PG)} bytes`);
  await expect(pgPreview.getByTestId('preview-format')).toHaveText('PG simple');
  await expect(pgPreview.getByTestId('preview-rows').locator('tbody tr')).toHaveCount(5);
  await expect(pgPreview.getByTestId('preview-rows').locator('tbody tr').first()).toContainText('₹1,000.00');
  await expect(pgPreview.getByTestId('preview-rows').locator('tbody tr').nth(4)).toContainText('Would be refused — Amount');
  await pgForm.getByRole('button', { name: 'Upload PG' }).click();
  await expect(page.getByTestId('notice')).toContainText('Uploaded as PG simple (amounts read as rupees): 4 rows accepted, 1 rejected, 0 skipped.');
  await expect(page.getByTestId('notice')).toContainText('Line 6');
  // This upload's row (other journeys' uploads may be listed too).
  const errorsLink = page.getByTestId('uploads').locator('tr', { hasText: 'pg.csv' }).getByRole('link', { name: '1', exact: true });
  const download = page.waitForEvent('download');
  await errorsLink.click();
  expect((await download).suggestedFilename()).toMatch(/errors\.csv$/);

  // The bank file is dropped on the form; a wrong layout chosen by hand is refused in the
  // preview with what it lacks, and detection reads it again.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const bankForm = page.getByRole('form', { name: 'Bank file' });
  await bankForm.getByLabel('Cycle date').fill(CYCLE);
  const dropped = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'bank.csv', { type: 'text/csv' }));
    return dt;
  }, BANK);
  await bankForm.getByTestId('drop-bank').dispatchEvent('drop', { dataTransfer: dropped });
  const bankPreview = bankForm.getByTestId('upload-preview');
  await expect(bankPreview).toContainText('bank.csv');
  await expect(bankPreview.getByTestId('preview-format')).toHaveText('Bank simple');
  await expect(bankPreview.getByTestId('preview-rows').locator('tbody tr')).toHaveCount(3);
  consoleErrors.expectRefusal('/api/recon/v1/uploads/preview');
  await bankForm.getByLabel('Bank file format').selectOption('bank_v1');
  await expect(bankPreview.getByRole('alert')).toContainText('lacks the column(s)');
  await bankForm.getByLabel('Bank file format').selectOption('');
  await expect(bankPreview.getByTestId('preview-format')).toHaveText('Bank simple');
  await bankForm.getByRole('button', { name: 'Upload BANK' }).click();
  await expect(page.getByTestId('notice')).toContainText('Uploaded as Bank simple (amounts read as rupees): 3 rows accepted, 0 rejected, 0 skipped.');

  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const runForm = page.getByRole('form', { name: 'Run reconciliation' });
  await runForm.getByLabel('Cycle date').fill(CYCLE);
  await runForm.getByRole('button', { name: 'Run reconciliation' }).click();
  await expect(page).toHaveURL(/\/recon\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Recon run' })).toBeVisible();
  // The background worker finishes it; the status line (an island) follows it, and the page loads
  // again with the results once the run has ended.
  await expect(page.getByTestId('run-status')).toContainText('completed', { timeout: 20_000 });
  expect(await kpi(page, 'run-matched')).toBe(1);
  expect(await kpi(page, 'run-unmatched-pg')).toBe(1);
  expect(await kpi(page, 'run-unmatched-bank')).toBe(1);
  // 1 matched + 2 exceptions + 1 unmatched = the 4 PG rows; the 4 exception records are by reason.
  expect(await kpi(page, 'run-exceptions')).toBe(2);
  await expect(page.getByTestId('by-reason')).toContainText('ROUNDING_ERROR 1');

  // The same figures through the API.
  const id = page.url().split('/recon/runs/')[1];
  const api = await (await page.request.get(`/api/recon/v1/runs/${id}`)).json();
  expect(api.counts).toMatchObject({ pgRows: 4, bankRows: 3, matched: 1, unmatchedPg: 1, unmatchedBank: 1, exceptions: 2 });

  await page.getByRole('navigation', { name: 'Result class' }).getByRole('link', { name: /Exceptions/ }).click();
  await expect(page).toHaveURL(/class=EXCEPTION/);
  const rows = page.getByTestId('results').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(page.getByTestId('results')).toContainText('ROUNDING_ERROR');
  await expect(page.getByTestId('results')).toContainText('₹0.01');

  const csv = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const fs = await import('fs');
  const lines = fs.readFileSync((await (await csv).path())!, 'utf8').trim().split('\n');
  expect(lines.length).toBe(3);

  // The workspace lists the run as completed.
  await page.goto('/recon');
  const ours = page.getByTestId('runs').locator('tr').filter({ hasText: '20 Jan 2026' });
  await expect(ours).toHaveCount(1);
  await expect(ours).toHaveAttribute('data-run-status', 'completed');

  // The work queue: the cycle's open exceptions, and Overview's count for the same day.
  const day = `from=${CYCLE}&to=${CYCLE}`;
  await page.goto(`/overview?${day}`);
  const overviewOpen = await kpi(page, 'kpi-open-exceptions');
  expect(overviewOpen).toBe(4);
  await page.goto(`/exceptions?${day}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Exceptions' })).toBeVisible();
  await expect(page.getByTestId('matching-total')).toHaveText(String(overviewOpen));
  const resolvedBefore = await kpi(page, 'kpi-resolved-7d');
  const openBefore = await kpi(page, 'kpi-open');

  // Open the rounding exception from the run's results, take it, resolve it with a code.
  await page.goto(`/recon/runs/${id}?class=EXCEPTION`);
  await page.getByTestId('results').getByRole('link', { name: 'ROUNDING_ERROR' }).click();
  await expect(page).toHaveURL(/\/exceptions\/EXC-\d{8}-\d{6,}$/);
  await expect(page.getByRole('heading', { level: 1, name: /^Exception EXC-/ })).toBeVisible();
  await expect(page.getByTestId('exception-status')).toHaveText('Open');
  await expect(page.getByTestId('delta')).toHaveText('₹0.01');
  await expect(page.getByTestId('pg-side')).toContainText('E2E-T2');
  await expect(page.getByTestId('bank-side')).toContainText('₹249.99');
  await expect(page.getByTestId('next-steps')).toContainText('rounding');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await expect(page.getByTestId('work')).toContainText(ROLES.ops.email);
  await expect(page.getByTestId('timeline').locator('[data-action="take"]')).toContainText(ROLES.ops.email);
  const comment = page.getByRole('form', { name: 'Comment' });
  await comment.getByLabel('Comment').fill('The bank credited one paisa less.');
  await comment.getByRole('button', { name: 'Add comment' }).click();
  await expect(page.getByTestId('timeline').locator('[data-action="comment"]')).toContainText('The bank credited one paisa less.');
  await expect(comment.getByLabel('Comment')).toHaveValue('');
  const resolve = page.getByRole('form', { name: 'Resolve' });
  await resolve.getByLabel('Resolution code').selectOption('ACCOUNTING_ADJUSTMENT');
  await resolve.getByLabel('Note').fill('One paisa rounding booked to the adjustment ledger.');
  await resolve.getByRole('button', { name: 'Resolve' }).click();
  await expect(page.getByTestId('exception-status')).toHaveText('Resolved');
  await expect(page.getByTestId('pg-side')).toContainText('RECONCILED');
  await expect(page.getByTestId('timeline').locator('[data-action="resolve"]')).toContainText('One paisa rounding booked');
  await expect(page.getByRole('button', { name: 'Reopen' })).toBeVisible();

  // The queue and Overview both count one fewer open exception for the day; resolved moves up.
  await page.goto(`/exceptions?${day}`);
  await expect(page.getByTestId('matching-total')).toHaveText(String(overviewOpen - 1));
  expect(await kpi(page, 'kpi-open')).toBe(openBefore - 1);
  expect(await kpi(page, 'kpi-resolved-7d')).toBe(resolvedBefore + 1);
  await page.goto(`/overview?${day}`);
  expect(await kpi(page, 'kpi-open-exceptions')).toBe(overviewOpen - 1);
  consoleErrors.check();
});
