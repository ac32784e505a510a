import { test, expect, kpi, ROLES, signIn, watchConsole } from './helpers';

test('the work queue: views, filters in the URL, a saved view, bulk tags on a selection, the export', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.ops.email);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exceptions', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Exceptions' })).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  // The Open tile is a link to its filter, with the same count.
  const open = await kpi(page, 'kpi-open');
  await page.getByTestId('kpi-open').click();
  await expect(page).toHaveURL(/\/exceptions\?status=open$/);
  await expect(page.getByTestId('matching-total')).toHaveText(String(open));
  await page.goto('/exceptions');

  // The SLA breached tile and the seeded view agree, and the view filters the table.
  const breached = await kpi(page, 'kpi-breached');
  expect(breached).toBeGreaterThan(0);
  await page.getByTestId('saved-views').getByRole('link', { name: 'SLA breached' }).click();
  await expect(page).toHaveURL(/\/exceptions\?breached=1$/);
  await expect(page.getByTestId('matching-total')).toHaveText(String(breached));
  const rows = page.getByTestId('exceptions').locator('tbody tr');
  await expect(rows.first().locator('[data-breached]')).toContainText('Breached');

  // Filters live in the URL; a reload shows the same view.
  await page.getByRole('combobox', { name: /^Severity/ }).selectOption('HIGH');
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(page).toHaveURL(/severity=HIGH/);
  await expect(page).toHaveURL(/breached=1/);
  const highBreached = Number(await page.getByTestId('matching-total').innerText());
  await page.reload();
  await expect(page.getByTestId('matching-total')).toHaveText(String(highBreached));
  await expect(page.getByRole('combobox', { name: /^Severity/ })).toHaveValue('HIGH');

  // Save it as a personal view; it appears, opens, and can be deleted.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const save = page.getByRole('form', { name: 'Save this view' });
  await save.getByPlaceholder('Name this view').fill('High and late');
  await save.getByRole('button', { name: 'Save view' }).click();
  const mine = page.getByTestId('saved-views').getByRole('link', { name: 'High and late' });
  await expect(mine).toBeVisible();
  await page.goto('/exceptions');
  await page.getByTestId('saved-views').getByRole('link', { name: 'High and late' }).click();
  await expect(page.getByTestId('matching-total')).toHaveText(String(highBreached));

  // Bulk: tick two rows, add a tag to both in one go.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  const ids = [await rows.nth(0).getAttribute('data-exception-id'), await rows.nth(1).getAttribute('data-exception-id')];
  await rows.nth(0).getByRole('checkbox').check();
  await rows.nth(1).getByRole('checkbox').check();
  const bulk = page.getByRole('form', { name: 'Bulk actions' });
  await bulk.getByLabel('Bulk action').selectOption('tag');
  await expect(bulk.getByLabel('Assign to')).toBeHidden();
  await bulk.getByRole('textbox', { name: 'Tags' }).fill('e2e-bulk');
  await bulk.getByRole('button', { name: 'Apply to selected' }).click();
  await expect(page.getByTestId('notice')).toContainText('Add tags: 2 of 2 exceptions changed.');
  for (const id of ids) {
    const record = await (await page.request.get(`/api/recon/v1/exceptions/${id}`)).json();
    expect(record.tags).toContain('e2e-bulk');
    expect(record.actions.at(-1)).toMatchObject({ action: 'tag', actor: ROLES.ops.email });
  }
  // The box in the header ticks the whole page.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('checkbox', { name: 'Select every exception on this page' }).check();
  const boxes = page.getByTestId('exceptions').locator('tbody input[type=checkbox]');
  const n = await boxes.count();
  for (let i = 0; i < n; i++) await expect(boxes.nth(i)).toBeChecked();

  // The export holds the filter's rows.
  const csv = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const fs = await import('fs');
  const lines = fs.readFileSync((await (await csv).path())!, 'utf8').trim().split('\n');
  expect(lines.length - 1).toBe(highBreached);

  // Delete the personal view.
  await page.getByRole('button', { name: 'Delete the view High and late' }).click();
  await expect(page.getByTestId('saved-views').getByRole('link', { name: 'High and late' })).toHaveCount(0);
  consoleErrors.check();
});

test('an auditor reads the queue and a record but is offered no actions, and the server refuses them', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.auditor.email);
  await page.goto('/exceptions');
  await expect(page.getByRole('heading', { level: 1, name: 'Exceptions' })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Bulk actions' })).toHaveCount(0);
  await page.getByTestId('exceptions').locator('tbody tr a').first().click();
  await expect(page.getByRole('heading', { level: 1, name: /^Exception EXC-/ })).toBeVisible();
  await expect(page.getByTestId('read-only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Resolve' })).toHaveCount(0);
  const id = page.url().split('/exceptions/')[1];
  const refused = await page.request.post(`/api/recon/v1/exceptions/${id}/actions`, {
    data: { action: 'take' },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(refused.status()).toBe(403);
  consoleErrors.check();
});
