import { test, expect, ROLES, signIn, watchConsole } from './helpers';

// A file of the system SettlePaisa Ops replaces (issue 11): the PG V2 captured export, amounts in
// paise, RFC 3339 instants, a failed payment, and a merchant code the product does not know.
const FILE = [
  'pg_txn_id,merchant_id,order_id,amount_paise,fee_paise,tax_paise,status,captured_at,utr',
  'E2EV2-1,E2EUNKNOWN1,ORD1,12500000,125000,22500,captured,2024-01-14T04:45:00Z,E2EV2UTR1',
  'E2EV2-2,MERCH_001,ORD2,8950050,89500,16110,failed,2024-01-14T05:22:00Z,E2EV2UTR2',
  'E2EV2-3,MERCH_002,ORD3,4525000,45250,8145,captured,2024-01-14T06:00:00Z,E2EV2UTR3',
].join('\n');

test('an old-system file with an unknown merchant is read, flagged, and its code mapped by an admin', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);
  await expect(page).toHaveURL(/\/overview$/);
  await page.goto('/recon');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  // The preview says how the file will be read: the layout, the unit, the skipped row, the code.
  const pgForm = page.getByRole('form', { name: 'PG file' });
  await pgForm.getByLabel('Cycle date').fill('2024-01-14');
  await pgForm.getByLabel('PG file to upload').setInputFiles({ name: 'pg_v2_captured.csv', mimeType: 'text/csv', buffer: Buffer.from(FILE) });
  const preview = pgForm.getByTestId('upload-preview');
  await expect(preview.getByTestId('preview-format')).toHaveText('PG V2 captured export');
  await expect(preview.getByTestId('preview-unit')).toContainText('read as paise');
  await expect(preview.getByTestId('preview-unknown-merchants')).toContainText('E2EUNKNOWN1');
  const rows = preview.getByTestId('preview-rows').locator('tbody tr');
  await expect(rows.first()).toContainText('₹1,25,000.00');
  await expect(rows.first()).toContainText('14 Jan 2024 10:15');
  await expect(rows.nth(1)).toContainText('Would be skipped — status FAILED: not a payment');
  await pgForm.getByRole('button', { name: 'Upload PG' }).click();
  const notice = page.getByTestId('notice');
  await expect(notice).toContainText('2 rows accepted, 0 rejected, 1 skipped');
  await expect(notice).toContainText('Merchants not known yet: E2EUNKNOWN1 (1 rows)');

  // An admin maps the code to a merchant: it becomes that merchant's alias.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, ROLES.admin.email);
  await expect(page).toHaveURL(/\/overview$/);
  await page.goto('/settlements/merchants');
  const row = page.getByTestId('unknown-merchants').locator('tr[data-code="E2EUNKNOWN1"]');
  await expect(row).toContainText('₹1,25,000.00');
  await row.getByLabel('Map to merchant (cannot be undone)').selectOption('MERCH_001');
  await row.getByRole('button', { name: 'Map E2EUNKNOWN1' }).click();
  await expect(page.getByTestId('notice')).toContainText('E2EUNKNOWN1 mapped to MERCH_001: 1 transactions moved.');
  await expect(page.locator('tr[data-code="E2EUNKNOWN1"]')).toHaveCount(0);
  await page.goto('/settlements/merchants/MERCH_001');
  await expect(page.getByTestId('aliases')).toContainText('E2EUNKNOWN1');
  consoleErrors.check();
});
