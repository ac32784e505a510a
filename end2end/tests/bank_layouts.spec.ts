import { test, expect, ROLES, signIn, watchConsole } from './helpers';

// Issue 15: an admin writes a bank layout for a statement no layout reads yet, watching a sample
// file read as they type (a wrong date format refuses its rows, the right one reads them), saves
// it, uploads the statement (read by the new layout although a title line sits above its header),
// and tests the layout on every row of that stored upload.
test('an admin writes a bank layout with a live preview, and the next upload is read by it', async ({ page }) => {
  test.setTimeout(90_000);
  const consoleErrors = watchConsole(page);
  // Unique per run: layout names and the columns an active layout needs are unique, and a
  // statement's references are its lines' keys.
  const stamp = `${Date.now() % 1_000_000}`;
  const ref = `Ref No ${stamp}`;
  const file = [
    'KOTAK MAHINDRA BANK - DAILY CREDITS',
    `${ref}|Txn Dt|Credit Amt|UTR|Dr/Cr|Status`,
    `E2E${stamp}A|15.03.2024|1,234.50|E2EKK${stamp}A|CR|SUCCESS`,
    `E2E${stamp}B|15.03.2024|250.00|E2EKK${stamp}B|DR|SUCCESS`,
    `E2E${stamp}C|15.03.2024|999.99|E2EKK${stamp}C|CR|FAILED`,
    `E2E${stamp}D|31.13.2024|10.00|E2EKK${stamp}D|CR|SUCCESS`,
    `E2E${stamp}E|16.03.2024|5,000.00|E2EKK${stamp}E|C|SUCCESS`,
  ].join('\n');
  const sample = { name: `kotak-${stamp}.csv`, mimeType: 'text/csv', buffer: Buffer.from(file) };

  await signIn(page, ROLES.admin.email);
  await page.goto('/settings');
  await page.getByTestId('bank-layouts-link').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Bank layouts' })).toBeVisible();
  await expect(page.getByTestId('layout-row').filter({ hasText: 'AXIS recon export' })).toBeVisible();
  await page.getByTestId('new-layout').click();
  await expect(page.getByRole('heading', { level: 1, name: 'New bank layout' })).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  const form = page.getByRole('form', { name: 'Bank layout' });
  await form.getByLabel('Bank code', { exact: true }).fill('KOTAK');
  await form.getByLabel('Layout name', { exact: true }).fill(`E2E Kotak ${stamp}`);
  await form.getByLabel('Delimiter').selectOption('|');
  await form.getByLabel('Header row', { exact: true }).fill('2');
  await form.getByLabel('Date format', { exact: true }).fill('%m/%d/%Y');
  await form.getByLabel('Reference column (required)', { exact: true }).fill(ref);
  await form.getByLabel('Gross amount column (required)', { exact: true }).fill('Credit Amt');
  await form.getByLabel('Transaction date column (required)', { exact: true }).fill('Txn Dt');
  await form.getByLabel('UTR column', { exact: true }).fill('UTR');
  await form.getByLabel('Status column', { exact: true }).fill('Status');
  await form.getByLabel('Direction column', { exact: true }).fill('Dr/Cr');

  // The sample, read by the layout as typed: the wrong date format refuses the dated rows…
  await page.getByTestId('layout-sample').setInputFiles(sample);
  const rows = page.getByTestId('layout-trial').getByTestId('trial-rows').locator('tbody tr');
  await expect(rows.first()).toContainText('Would be refused — Txn Dt');
  await expect(rows.nth(2)).toContainText('Would be skipped — the bank reports it FAILED');
  // …and the right one reads them, a moment after typing stops.
  await form.getByLabel('Date format', { exact: true }).fill('%d.%m.%Y');
  await expect(rows.first()).toContainText('₹1,234.50');
  await expect(rows.first()).toContainText('CREDIT');
  await expect(rows.nth(1)).toContainText('DEBIT');
  await expect(rows.nth(3)).toContainText("Would be refused — Txn Dt: \"31.13.2024\" is not a date (the layout's %d.%m.%Y");
  await expect(page.getByTestId('layout-trial')).toContainText(`E2E Kotak ${stamp} (KOTAK)`);

  await form.getByRole('button', { name: 'Create layout' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Layout E2E Kotak ${stamp} saved.`);
  await expect(page.getByRole('heading', { level: 1, name: `E2E Kotak ${stamp} (KOTAK)` })).toBeVisible();
  const editor = page.url();

  // The statement, uploaded on the recon workspace, is read by the new layout.
  await page.goto('/recon');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const bankForm = page.getByRole('form', { name: 'Bank file' });
  await bankForm.getByLabel('Cycle date').fill('2024-03-15');
  await bankForm.getByLabel('Bank file to upload').setInputFiles(sample);
  await expect(bankForm.getByTestId('preview-format')).toHaveText(`E2E Kotak ${stamp} (KOTAK)`);
  await bankForm.getByRole('button', { name: 'Upload BANK' }).click();
  await expect(page.getByTestId('notice')).toContainText('3 rows accepted, 1 rejected, 1 skipped');

  // Every row of that stored upload, tried with the layout: the same tally.
  await page.goto(editor);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('layout-upload')).toContainText(sample.name);
  await page.getByTestId('layout-test-upload').click();
  await expect(page.getByTestId('trial-tally')).toContainText('Every row: 5 read, 3 accepted, 1 skipped, 1 refused · credits ₹6,234.50 · debits ₹250.00.');
  await expect(page.getByTestId('trial-refused')).toContainText('Line 6: Txn Dt:');
  consoleErrors.check();
});
