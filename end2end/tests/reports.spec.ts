import { test, expect, expectAccessible, ROLES, signIn, watchConsole } from './helpers';
import * as fs from 'fs';

// Issue 15: a finance user previews the settlement summary for a window, downloads it as XLSX and
// as CSV (the CSV has exactly the rows the page counts), and moves to the tax report with the same
// dates; schedules a report and sees it listed with its next run, then changes its format and
// time; an auditor sees account numbers masked and is told so, and is offered no schedule form.
test('a finance user downloads the settlement summary as XLSX and CSV', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.finance.email);
  await page.getByRole('navigation').getByRole('link', { name: 'Reports' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Reports' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Settlement summary' })).toHaveAttribute('aria-current', 'page');

  // A window that holds every demo cycle.
  const filters = page.getByRole('form', { name: 'Report filters' });
  const from = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);
  await filters.getByLabel('From (cycle date)').fill(from);
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`from=${from}`));
  const summary = page.getByTestId('report-summary');
  const total = Number(await summary.getAttribute('data-total'));
  expect(total).toBeGreaterThan(100);
  await expect(summary).toContainText(`of ${total.toLocaleString('en-IN')} rows`);
  await expect(page.getByTestId('report-totals')).toContainText(`Totals, all ${total.toLocaleString('en-IN')} rows`);

  const xlsx = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download XLSX' }).click();
  const file = await xlsx;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^settlement-summary_${from}_\\d{4}-\\d{2}-\\d{2}\\.xlsx$`));
  const bytes = fs.readFileSync((await file.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe('PK'); // a zip: the XLSX container
  expect(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml'))).toBe(true);

  const csv = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const lines = fs.readFileSync((await (await csv).path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toContain('Batch,Merchant ID,Merchant,Cycle date,Status');
  expect(lines.length - 1).toBe(total);

  // The tax report keeps the dates.
  await page.getByRole('link', { name: 'Tax report' }).click();
  await expect(page).toHaveURL(new RegExp(`report=tax.*from=${from}`));
  await expect(page.getByTestId('report-table')).toHaveAttribute('data-report', 'tax');
  await expect(page.getByRole('columnheader', { name: 'GST on commission' })).toBeVisible();

  // Schedule the summary weekly; it is listed with its next run in IST.
  await page.getByRole('link', { name: 'Scheduled reports' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Scheduled reports' })).toBeVisible();
  const name = `Weekly summary ${Date.now()}`;
  const form = page.getByRole('form', { name: 'Schedule a report' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Report').selectOption('settlement-summary');
  await form.getByLabel('When (cron, IST)').fill('15 9 * * 1');
  await form.getByLabel('Recipients (comma-separated)').fill('finance.lead@example.com');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Schedule "${name}" created`);
  const row = page.locator(`tr[data-schedule="${name}"]`);
  await expect(row).toContainText('Settlement summary (XLSX)');
  await expect(row.getByTestId('next-run')).toContainText('09:15');
  // Change it: CSV, daily at 07:30. The form holds the schedule as it is, and the row shows the change.
  await row.getByRole('link', { name: `Change the schedule ${name}` }).click();
  const edit = page.getByRole('form', { name: `Change the schedule ${name}` });
  await expect(edit.getByLabel('Name')).toHaveValue(name);
  await expect(edit.getByLabel('When (cron, IST)')).toHaveValue('15 9 * * 1');
  await expect(edit.getByLabel('Recipients (comma-separated)')).toHaveValue('finance.lead@example.com');
  await expectAccessible(page);
  await edit.getByLabel('Format').selectOption('csv');
  await edit.getByLabel('When (cron, IST)').fill('30 7 * * *');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Schedule "${name}" saved`);
  await expect(row).toContainText('Settlement summary (CSV)');
  await expect(row.getByTestId('next-run')).toContainText('07:30');
  // A bad cron is refused in words and nothing is added.
  await form.getByLabel('Name').fill(`${name} bad`);
  await form.getByLabel('When (cron, IST)').fill('every monday');
  await form.getByLabel('Recipients (comma-separated)').fill('finance.lead@example.com');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('alert')).toContainText('five cron fields');
  await expect(page.locator(`tr[data-schedule="${name} bad"]`)).toHaveCount(0);
  consoleErrors.check();
});

test('an auditor sees account numbers masked and is told so', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.auditor.email);
  await page.goto('/reports?report=settlement-summary');
  await expect(page.getByTestId('masked-note')).toContainText('masked for your role');
  const accounts = page.getByTestId('report-table').locator('tbody td:nth-child(17)');
  await expect(accounts.first()).toHaveText(/^X+\d{4}$/);
  await page.goto('/reports/schedules');
  await expect(page.getByRole('heading', { level: 1, name: 'Scheduled reports' })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Schedule a report' })).toHaveCount(0);
  consoleErrors.check();
});
